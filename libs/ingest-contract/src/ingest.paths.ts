/**
 * The ingest app's run API paths, relative to its base URL. The app's
 * controller and its clients (the orchestrator, tests, fakes) build their
 * routes from these.
 *
 * - `POST /runs` starts a run ({@link RunRequest} body; 202 with its {@link RunStatus}, 400 with `{ error, message }`).
 * - `GET /runs` lists the recent runs, newest first (`{ runs: RunStatus[] }`).
 * - `GET /runs/:id` gives one run; `DELETE /runs/:id` cancels it and answers once it stopped.
 */
export const INGEST_PATHS = {
  /** The runs collection. */
  runs: '/runs',
  /** The NestJS controller prefix (`runs`) and the route of one run (`:id`). */
  controller: 'runs',
  runParam: ':id',
  /** The path of one run, its id encoded. */
  run: (id: string): string => `/runs/${encodeURIComponent(id)}`,
} as const;
