import { ConfigError, UserstreamError } from '@userstream/core';
import { REQUIRED_RANDOMUSER_PATHS, V2_DEFAULTS, fromRandomUser, isUuid, toV1, toV2 } from './randomuser.mapper';
import { InvalidRecordError } from './record.errors';
import type { UserRecordV2 } from './record.types';

// Results in the shape of the randomuser.me 1.4 documentation's sample output,
// written by hand: numeric and string postcodes, coordinates as strings,
// non-Latin names, street names with apostrophes and accents.
function usResult() {
  return {
    gender: 'female',
    name: { title: 'Miss', first: 'Jennie', last: 'Nichols' },
    location: {
      street: { number: 8929, name: 'Valwood Pkwy' },
      city: 'Billings',
      state: 'Michigan',
      country: 'United States',
      postcode: 63104,
      coordinates: { latitude: '-69.8246', longitude: '134.8719' },
      timezone: { offset: '+9:30', description: 'Adelaide, Darwin' },
    },
    email: 'jennie.nichols@example.com',
    login: {
      uuid: '7a0eed16-9430-4d68-901f-c0d4c1c3bf00',
      username: 'yellowpeacock117',
      password: 'addison',
      salt: 'sld1yGtd',
      md5: 'ab54ac4c0be9480ae8fa5e9e2a5196a3',
      sha1: 'edcf2ce613cbdea349133c52dc2f3b83168dc51b',
      sha256: '48df5229235ada28389b91e60a935e4f9b73eb4bdb855ef9258a1751f10bdc5d',
    },
    dob: { date: '1992-03-08T15:13:16.688Z', age: 30 },
    registered: { date: '2007-07-09T05:51:59.390Z', age: 14 },
    phone: '(272) 790-0888',
    cell: '(489) 330-2385',
    id: { name: 'SSN', value: '405-88-3636' },
    picture: {
      large: 'https://randomuser.me/api/portraits/women/75.jpg',
      medium: 'https://randomuser.me/api/portraits/med/women/75.jpg',
      thumbnail: 'https://randomuser.me/api/portraits/thumb/women/75.jpg',
    },
    nat: 'US',
  };
}

const irResult = {
  gender: 'male',
  name: { title: 'Mr', first: 'ایلیا', last: 'کامروا' },
  location: {
    street: { number: 4260, name: 'میدان امام خمینی' },
    city: 'قرچک',
    state: 'کرمانشاه',
    country: 'Iran',
    postcode: 41533,
    coordinates: { latitude: '26.0522', longitude: '-12.6394' },
    timezone: { offset: '+3:30', description: 'Tehran' },
  },
  email: 'ylya.kmrw@example.com',
  login: { uuid: 'E3C3AB17-1E9A-4B8C-9F1A-2D0C6A5B7E41', username: 'bigduck491', password: 'pass' },
  dob: { date: '1961-05-26T22:42:29.064Z', age: 63 },
  registered: { date: '2016-01-13T00:55:20.914Z', age: 8 },
  phone: '065-43657137',
  cell: '0905-137-2415',
  id: { name: '', value: null },
  picture: {
    large: 'https://randomuser.me/api/portraits/men/12.jpg',
    medium: 'https://randomuser.me/api/portraits/med/men/12.jpg',
    thumbnail: 'https://randomuser.me/api/portraits/thumb/men/12.jpg',
  },
  nat: 'IR',
};

const uaResult = {
  gender: 'male',
  name: { title: 'Mr', first: 'Илья', last: 'Литвиненко' },
  location: {
    street: { number: '12А', name: "вулиця Сім'ї Хохлових" },
    city: 'Червоноград',
    state: 'Львівська',
    country: 'Ukraine',
    postcode: '08013',
    coordinates: { latitude: 49.3867, longitude: 24.2337 },
    timezone: { offset: '-3:00', description: 'Brazil, Buenos Aires, Georgetown' },
  },
  email: 'illya.litvinenko@example.com',
  login: { uuid: '0b8e9f0a-6a3c-4a5d-8b2e-1f4c7d9e3a21', username: 'silverbird303' },
  dob: { date: '1980-11-02T07:03:45.120Z', age: 44 },
  registered: { date: '2019-04-30T18:22:10.004Z', age: 5 },
  phone: '(097) Q38-6352',
  cell: '(068) N73-3004',
  picture: {
    large: 'https://randomuser.me/api/portraits/men/3.jpg',
    medium: 'https://randomuser.me/api/portraits/med/men/3.jpg',
    thumbnail: 'https://randomuser.me/api/portraits/thumb/men/3.jpg',
  },
  nat: 'UA',
};

const frResult = {
  gender: 'female',
  name: { title: 'Mademoiselle', first: 'Maëlle', last: "D'Artois" },
  location: {
    street: { number: 1, name: "Rue de L'Abbé-Migne" },
    city: 'Saint-Étienne',
    state: 'Ardèche',
    country: 'France',
    postcode: 75011,
    coordinates: { latitude: '0.0000', longitude: '-0.0000' },
    timezone: { offset: '0:00', description: 'Western Europe Time, London, Lisbon, Casablanca' },
  },
  email: 'maelle.dartois@example.com',
  login: { uuid: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d', username: 'lazyswan22' },
  dob: { date: '2001-02-28T00:00:00.000Z', age: 23 },
  registered: { date: '2021-12-31T23:59:59.999Z', age: 3 },
  phone: '02-51-37-61-09',
  cell: '06-86-56-14-90',
  picture: { large: 'https://randomuser.me/api/portraits/women/90.jpg', medium: 'm', thumbnail: 't' },
  nat: 'FR',
};

describe('fromRandomUser golden cases', () => {
  it('maps the documentation-shaped US result (numeric postcode, coordinates as strings)', () => {
    const expected: UserRecordV2 = {
      id: '7a0eed16-9430-4d68-901f-c0d4c1c3bf00',
      first_name: 'Jennie',
      last_name: 'Nichols',
      gender: 'female',
      address: '8929 Valwood Pkwy, Billings, Michigan, United States',
      postcode: '63104',
      email: 'jennie.nichols@example.com',
      username: 'yellowpeacock117',
      dob: '1992-03-08T15:13:16.688Z',
      registered_date: '2007-07-09T05:51:59.390Z',
      phone: '(272) 790-0888',
      picture: 'https://randomuser.me/api/portraits/women/75.jpg',
      title: 'Miss',
      nationality: 'US',
      cell: '(489) 330-2385',
      city: 'Billings',
      state: 'Michigan',
      country: 'United States',
      latitude: -69.8246,
      longitude: 134.8719,
      timezone_offset: '+9:30',
      timezone_description: 'Adelaide, Darwin',
      age: 30,
      picture_medium: 'https://randomuser.me/api/portraits/med/women/75.jpg',
      picture_thumbnail: 'https://randomuser.me/api/portraits/thumb/women/75.jpg',
      ingested_at: 1732550400123,
    };
    expect(fromRandomUser(usResult(), { ingestedAt: 1732550400123 })).toStrictEqual(expected);
  });

  it('maps a Persian (IR) result: RTL text kept as is, numeric postcode stringified, uuid case kept', () => {
    expect(fromRandomUser(irResult)).toStrictEqual({
      id: 'E3C3AB17-1E9A-4B8C-9F1A-2D0C6A5B7E41',
      first_name: 'ایلیا',
      last_name: 'کامروا',
      gender: 'male',
      address: '4260 میدان امام خمینی, قرچک, کرمانشاه, Iran',
      postcode: '41533',
      email: 'ylya.kmrw@example.com',
      username: 'bigduck491',
      dob: '1961-05-26T22:42:29.064Z',
      registered_date: '2016-01-13T00:55:20.914Z',
      phone: '065-43657137',
      picture: 'https://randomuser.me/api/portraits/men/12.jpg',
      title: 'Mr',
      nationality: 'IR',
      cell: '0905-137-2415',
      city: 'قرچک',
      state: 'کرمانشاه',
      country: 'Iran',
      latitude: 26.0522,
      longitude: -12.6394,
      timezone_offset: '+3:30',
      timezone_description: 'Tehran',
      age: 63,
      picture_medium: 'https://randomuser.me/api/portraits/med/men/12.jpg',
      picture_thumbnail: 'https://randomuser.me/api/portraits/thumb/men/12.jpg',
      ingested_at: 0,
    });
  });

  it('maps a Cyrillic (UA) result: string street number and leading-zero postcode kept, numeric coordinates', () => {
    const r = fromRandomUser(uaResult, { ingestedAt: 5 });
    expect(r.first_name).toBe('Илья');
    expect(r.last_name).toBe('Литвиненко');
    expect(r.address).toBe("12А вулиця Сім'ї Хохлових, Червоноград, Львівська, Ukraine");
    expect(r.postcode).toBe('08013');
    expect([r.latitude, r.longitude, r.age, r.ingested_at]).toEqual([49.3867, 24.2337, 44, 5]);
    expect(r.timezone_description).toBe('Brazil, Buenos Aires, Georgetown');
  });

  it('maps a French result with apostrophes, accents and zero coordinates', () => {
    const r = fromRandomUser(frResult);
    expect(toV1(r)).toStrictEqual({
      id: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
      first_name: 'Maëlle',
      last_name: "D'Artois",
      gender: 'female',
      address: "1 Rue de L'Abbé-Migne, Saint-Étienne, Ardèche, France",
      postcode: '75011',
      email: 'maelle.dartois@example.com',
      username: 'lazyswan22',
      dob: '2001-02-28T00:00:00.000Z',
      registered_date: '2021-12-31T23:59:59.999Z',
      phone: '02-51-37-61-09',
      picture: 'https://randomuser.me/api/portraits/women/90.jpg',
    });
    expect(r.latitude).toBe(0);
    expect(Object.is(r.longitude, -0)).toBe(true);
    expect(r.title).toBe('Mademoiselle');
  });
});

describe('fromRandomUser optional and extra fields', () => {
  it('gives v2 defaults for missing optional fields, not errors', () => {
    const minimal = {
      gender: 'female',
      name: { first: 'A', last: 'B' },
      location: { street: { number: 1, name: 'S' }, city: 'C', state: 'St', country: 'Co', postcode: 'P' },
      email: 'e',
      login: { uuid: '7a0eed16-9430-4d68-901f-c0d4c1c3bf00', username: 'u' },
      dob: { date: 'd' },
      registered: { date: 'r' },
      phone: 'p',
      picture: { large: 'l' },
    };
    const r = fromRandomUser(minimal);
    expect(r).toStrictEqual({ ...toV1(r), ...V2_DEFAULTS, city: 'C', state: 'St', country: 'Co' });
    expect(r.address).toBe('1 S, C, St, Co');
  });

  it('turns mistyped or unparseable optional values into defaults', () => {
    const res = usResult() as Record<string, unknown>;
    const loc = res.location as Record<string, unknown>;
    loc.coordinates = { latitude: 'north', longitude: '' };
    loc.timezone = 'UTC';
    res.cell = { number: 1 };
    res.dob = { date: '1992-03-08T15:13:16.688Z', age: 30.5 };
    res.nat = null;
    const r = fromRandomUser(res);
    expect([r.latitude, r.longitude, r.timezone_offset, r.timezone_description, r.cell, r.age, r.nationality]).toEqual([null, null, '', '', '', null, '']);
  });

  it('ignores unknown extra fields at every level', () => {
    const res = usResult() as Record<string, unknown>;
    const plain = fromRandomUser(usResult());
    res.extra = { deep: [1, 2] };
    (res.name as Record<string, unknown>).middle = 'Q';
    (res.location as Record<string, unknown>).planet = 'Earth';
    expect(fromRandomUser(res)).toStrictEqual(plain);
  });
});

describe('fromRandomUser invalid results', () => {
  function expectInvalid(input: unknown): InvalidRecordError {
    let caught: unknown;
    try {
      fromRandomUser(input);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvalidRecordError);
    const e = caught as InvalidRecordError;
    expect(e).toBeInstanceOf(UserstreamError);
    expect(e.code).toBe('RECORD_INVALID');
    expect(e.retriable).toBe(false);
    expect(e.name).toBe('InvalidRecordError');
    return e;
  }

  it('names every bad path, in order, and lists them in the message', () => {
    const res = usResult() as Record<string, unknown>;
    (res.login as Record<string, unknown>).uuid = 'not-a-uuid';
    delete ((res.location as Record<string, unknown>).street as Record<string, unknown>).number;
    (res.location as Record<string, unknown>).postcode = null;
    res.email = 42;
    delete res.dob;
    (res.picture as Record<string, unknown>).large = ['x'];
    const e = expectInvalid(res);
    expect(e.paths).toEqual(['login.uuid', 'location.street.number', 'location.postcode', 'email', 'dob.date', 'picture.large']);
    for (const p of e.paths) expect(e.message).toContain(p);
    expect(e.message).toContain('email (expected a string, got number)');
    expect(e.message).toContain('location.street.number (missing)');
    expect(e.details.paths).toEqual(e.paths);
  });

  it.each(REQUIRED_RANDOMUSER_PATHS.map((p) => [p]))('rejects a result missing %s', (path) => {
    const res = usResult();
    const keys = path.split('.');
    let obj = res as unknown as Record<string, unknown>;
    for (const k of keys.slice(0, -1)) obj = obj[k] as Record<string, unknown>;
    delete obj[keys[keys.length - 1]];
    expect(expectInvalid(res).paths).toEqual([path]);
  });

  it('rejects a non-UUID login.uuid and a parent that is not an object', () => {
    const res = usResult() as Record<string, unknown>;
    (res.login as Record<string, unknown>).uuid = '7a0eed16-9430-4d68-901f-c0d4c1c3bf0';
    res.name = 'Jennie Nichols';
    expect(expectInvalid(res).paths).toEqual(['login.uuid', 'name.first', 'name.last']);
  });

  it('rejects a non-object result naming all required paths', () => {
    expect(expectInvalid(null).paths).toEqual(REQUIRED_RANDOMUSER_PATHS);
    expect(expectInvalid([usResult()]).message).toMatch(/expected an object, got array/);
  });

  it('rejects a bad ingestedAt as a ConfigError', () => {
    expect(() => fromRandomUser(usResult(), { ingestedAt: -1 })).toThrow(ConfigError);
    expect(() => fromRandomUser(usResult(), { ingestedAt: 1.5 })).toThrow(ConfigError);
  });
});

describe('toV1 / toV2 / isUuid', () => {
  it('toV1 keeps exactly the twelve fields in schema order', () => {
    const v1 = toV1(fromRandomUser(usResult()));
    expect(Object.keys(v1)).toEqual([
      'id',
      'first_name',
      'last_name',
      'gender',
      'address',
      'postcode',
      'email',
      'username',
      'dob',
      'registered_date',
      'phone',
      'picture',
    ]);
  });

  it('toV2 fills defaults for a v1 record and keeps a v2 record', () => {
    const v2 = fromRandomUser(usResult(), { ingestedAt: 9 });
    expect(toV2(v2)).toStrictEqual(v2);
    expect(toV2(toV1(v2))).toStrictEqual({ ...toV1(v2), ...V2_DEFAULTS });
  });

  it('isUuid accepts the 8-4-4-4-12 hex form only', () => {
    expect(isUuid('7a0eed16-9430-4d68-901f-c0d4c1c3bf00')).toBe(true);
    expect(isUuid('7A0EED16-9430-4D68-901F-C0D4C1C3BF00')).toBe(true);
    expect(isUuid('7a0eed1694304d68901fc0d4c1c3bf00')).toBe(false);
    expect(isUuid('7a0eed16-9430-4d68-901f-c0d4c1c3bf0g')).toBe(false);
    expect(isUuid(' 7a0eed16-9430-4d68-901f-c0d4c1c3bf00')).toBe(false);
    expect(isUuid(42)).toBe(false);
  });
});
