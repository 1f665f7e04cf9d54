// Carries ?next= into the form and shows the error after a failed attempt.
(function () {
  'use strict';
  const params = new URLSearchParams(window.location.search);
  const next = params.get('next');
  if (next && next.charAt(0) === '/' && next.charAt(1) !== '/') document.getElementById('next').value = next;
  const error = document.getElementById('login-error');
  if (params.get('error') === 'locked') error.textContent = 'Too many failed attempts: wait a moment, then try again.';
  if (params.get('error')) error.hidden = false;
})();
