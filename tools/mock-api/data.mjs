// Word lists for the randomuser.me mock, one entry per nationality the real
// API 1.4 serves. Lists are short (a few dozen names each): enough variety for
// realistic pipelines and benchmarks, small enough to read. Names in
// non-Latin scripts carry a Latin spelling after a `|` for the e-mail address,
// as the real API transliterates names into ASCII e-mail addresses.

/** @param {string} s */
const list = (s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0);

export const NATS = ['AU', 'BR', 'CA', 'CH', 'DE', 'DK', 'ES', 'FI', 'FR', 'GB', 'IE', 'IN', 'IR', 'MX', 'NL', 'NO', 'NZ', 'RS', 'TR', 'UA', 'US'];

export const TIMEZONES = [
  ['-12:00', 'Eniwetok, Kwajalein'],
  ['-11:00', 'Midway Island, Samoa'],
  ['-10:00', 'Hawaii'],
  ['-9:00', 'Alaska'],
  ['-8:00', 'Pacific Time (US & Canada)'],
  ['-7:00', 'Mountain Time (US & Canada)'],
  ['-6:00', 'Central Time (US & Canada), Mexico City'],
  ['-5:00', 'Eastern Time (US & Canada), Bogota, Lima'],
  ['-4:00', 'Atlantic Time (Canada), Caracas, La Paz'],
  ['-3:30', 'Newfoundland'],
  ['-3:00', 'Brazil, Buenos Aires, Georgetown'],
  ['-2:00', 'Mid-Atlantic'],
  ['-1:00', 'Azores, Cape Verde Islands'],
  ['0:00', 'Western Europe Time, London, Lisbon, Casablanca'],
  ['+1:00', 'Brussels, Copenhagen, Madrid, Paris'],
  ['+2:00', 'Kaliningrad, South Africa'],
  ['+3:00', 'Baghdad, Riyadh, Moscow, St. Petersburg'],
  ['+3:30', 'Tehran'],
  ['+4:00', 'Abu Dhabi, Muscat, Baku, Tbilisi'],
  ['+4:30', 'Kabul'],
  ['+5:00', 'Ekaterinburg, Islamabad, Karachi, Tashkent'],
  ['+5:30', 'Bombay, Calcutta, Madras, New Delhi'],
  ['+5:45', 'Kathmandu'],
  ['+6:00', 'Almaty, Dhaka, Colombo'],
  ['+7:00', 'Bangkok, Hanoi, Jakarta'],
  ['+8:00', 'Beijing, Perth, Singapore, Hong Kong'],
  ['+9:00', 'Tokyo, Seoul, Osaka, Sapporo, Yakutsk'],
  ['+9:30', 'Adelaide, Darwin'],
  ['+10:00', 'Eastern Australia, Guam, Vladivostok'],
  ['+11:00', 'Magadan, Solomon Islands, New Caledonia'],
  ['+12:00', 'Auckland, Wellington, Fiji, Kamchatka'],
].map(([offset, description]) => ({ offset, description }));

export const PASSWORDS = list(
  'password,123456,qwerty,letmein,dragon,monkey,sunshine,princess,football,baseball,shadow,master,superman,batman,trustno1,' +
    'iloveyou,welcome,freedom,whatever,starwars,michelle,jordan,hunter,ranger,buster,soccer,harley,tigger,charlie,pepper,' +
    'ginger,summer,thunder,cookie,maverick,phoenix,silver,diamond,chelsea,hammer,yankees,rainbow,cheese,coffee,matrix,' +
    'spider,chicken,orange,banana,purple,mustang,corvette,ferrari,porsche,scooter,snoopy,winter,spring,august,october,' +
    'blessed,angel,beauty,lucky,magic,money,secret,simple,passw0rd,abc123,111111,654321,zxcvbn,asdfgh,1q2w3e,qazwsx',
);

export const USER_WORDS_1 = list(
  'yellow,purple,red,blue,green,orange,black,white,silver,golden,brown,tiny,big,happy,sad,angry,lazy,crazy,heavy,' +
    'beautiful,smart,ticklish,organic,wild,silly,brave,calm,eager,fierce,gentle,jolly,proud',
);
export const USER_WORDS_2 = list(
  'peacock,tiger,lion,bear,wolf,fox,rabbit,koala,panda,swan,goose,duck,owl,eagle,falcon,parrot,zebra,gorilla,monkey,' +
    'elephant,frog,snake,fish,shark,dolphin,whale,butterfly,ladybug,leopard,cat,dog,horse,buffalo,mouse,rat,ostrich,kangaroo,' +
    'penguin,sheep,bird,beetle,meercat,crab,lobster,goat,camel',
);

const TITLES_FEMALE = ['Ms', 'Mrs', 'Miss'];

// Cyrillic -> Latin, for e-mail addresses of UA and RS users.
const CYRILLIC = {
  а: 'a',
  б: 'b',
  в: 'v',
  г: 'h',
  ґ: 'g',
  д: 'd',
  е: 'e',
  є: 'ye',
  ж: 'zh',
  з: 'z',
  и: 'y',
  і: 'i',
  ї: 'yi',
  й: 'y',
  к: 'k',
  л: 'l',
  м: 'm',
  н: 'n',
  о: 'o',
  п: 'p',
  р: 'r',
  с: 's',
  т: 't',
  у: 'u',
  ф: 'f',
  х: 'kh',
  ц: 'ts',
  ч: 'ch',
  ш: 'sh',
  щ: 'shch',
  ь: '',
  ю: 'yu',
  я: 'ya',
  ђ: 'dj',
  ј: 'j',
  љ: 'lj',
  њ: 'nj',
  ћ: 'c',
  џ: 'dz',
  ы: 'y',
  э: 'e',
  ъ: '',
  ё: 'yo',
};
const LATIN_SPECIAL = { ø: 'o', æ: 'ae', å: 'a', ß: 'ss', ı: 'i', ł: 'l', đ: 'd', œ: 'oe' };

/** ASCII spelling of a name for e-mail addresses: accents dropped, Cyrillic transliterated. */
export function toAscii(name) {
  let out = '';
  for (const ch of name.normalize('NFD').toLowerCase()) {
    const code = ch.charCodeAt(0);
    if (code >= 0x300 && code <= 0x36f) continue; // combining accents
    if (code < 128) {
      if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch === '-') out += ch;
      continue;
    }
    const mapped = CYRILLIC[ch] ?? LATIN_SPECIAL[ch];
    if (mapped !== undefined) out += mapped;
  }
  return out;
}

/** Parses `display|latin` entries; names without `|` get their ASCII form computed. */
function names(s) {
  return list(s).map((entry) => {
    const [display, latin] = entry.split('|');
    return { display, ascii: latin ?? toAscii(display) };
  });
}

// Ukrainian mobile operator codes.
const UA_OPERATORS = ['66', '67', '68', '96', '97', '98', '99'];

// Pattern characters: '#' a digit, '%' a digit 1-9, '@' an uppercase letter. Anything else is literal.
const NAT_DATA = {
  AU: {
    country: 'Australia',
    male: 'Jack,Oliver,William,Noah,Thomas,Lucas,James,Harrison,Cooper,Lachlan,Riley,Mason,Ethan,Liam,Samuel,Jayden,Hunter,Bailey',
    female: 'Charlotte,Olivia,Ava,Mia,Isla,Chloe,Sophie,Ruby,Grace,Emily,Matilda,Zoe,Lily,Harper,Isabella,Sienna,Layla,Ella',
    last: 'Smith,Jones,Williams,Brown,Wilson,Taylor,Johnson,White,Martin,Anderson,Thompson,Nguyen,Thomas,Walker,Harris,Lee,Ryan,Robinson,Kelly,King',
    cities: 'Sydney,Melbourne,Brisbane,Perth,Adelaide,Hobart,Darwin,Canberra,Newcastle,Geelong,Wollongong,Cairns,Townsville,Ballarat,Bendigo,Toowoomba',
    states: 'New South Wales,Victoria,Queensland,Western Australia,South Australia,Tasmania,Northern Territory,Australian Capital Territory',
    streets:
      'George Street,Pitt Street,Oxford Street,Parramatta Road,Hunter Street,Queen Street,Collins Street,Swanston Street,Lygon Street,Bourke Street,Smith Street,Church Street,Victoria Road,Station Street',
    postcode: (g) => g.int(200, 9999),
    phone: '0#-####-####',
    cell: '04##-###-###',
    id: (g) => ({ name: 'TFN', value: g.pattern('#########') }),
  },
  BR: {
    country: 'Brazil',
    male: 'João,Pedro,Lucas,Gabriel,Matheus,Rafael,Gustavo,Felipe,Bruno,Thiago,Vinícius,Leonardo,Caio,Diego,Otávio,Luiz,Heitor,Benício',
    female: 'Ana,Maria,Júlia,Beatriz,Larissa,Camila,Letícia,Mariana,Fernanda,Gabriela,Isabela,Lívia,Manuela,Alícia,Yasmin,Rafaela,Luana,Cecília',
    last: 'Silva,Santos,Oliveira,Souza,Rodrigues,Ferreira,Alves,Pereira,Lima,Gomes,Costa,Ribeiro,Martins,Carvalho,Almeida,Lopes,Araújo,Barbosa,Moreira,Nascimento',
    cities:
      'São Paulo,Rio de Janeiro,Belo Horizonte,Salvador,Fortaleza,Curitiba,Recife,Porto Alegre,Manaus,Belém,Goiânia,Campinas,São Luís,Maceió,Natal,Florianópolis',
    states: 'São Paulo,Rio de Janeiro,Minas Gerais,Bahia,Ceará,Paraná,Pernambuco,Rio Grande do Sul,Amazonas,Pará,Goiás,Maranhão,Alagoas,Santa Catarina',
    streets:
      'Rua São Jorge,Rua da Paz,Rua Sete de Setembro,Avenida Paulista,Rua Doze,Rua Quinze de Novembro,Rua Tiradentes,Avenida Brasil,Rua das Flores,Rua Santa Luzia,Rua Rio de Janeiro,Rua Castro Alves',
    postcode: (g) => g.int(10000, 99999),
    phone: '(##) ####-####',
    cell: '(##) %###-####',
    id: (g) => ({ name: 'CPF', value: g.pattern('###.###.###-##') }),
  },
  CA: {
    country: 'Canada',
    male: 'Liam,Noah,William,Benjamin,Logan,Lucas,Jacob,Owen,Nathan,Félix,Samuel,Alexis,Zachary,Ethan,Mathis,Olivier,Émile,Jackson',
    female: 'Emma,Olivia,Charlotte,Alice,Léa,Florence,Amelia,Chloé,Zoé,Maya,Abigail,Rosalie,Juliette,Camille,Sophia,Clara,Béatrice,Ellie',
    last: 'Tremblay,Gagnon,Roy,Côté,Bouchard,Gauthier,Morin,Lavoie,Fortin,Gagné,Smith,Brown,Wilson,MacDonald,Taylor,Campbell,Anderson,Martin,Lee,Wong',
    cities: 'Toronto,Montreal,Vancouver,Calgary,Edmonton,Ottawa,Winnipeg,Québec,Hamilton,Kitchener,Halifax,Victoria,Saskatoon,Regina,Sherbrooke,Lévis',
    states:
      'Ontario,Québec,British Columbia,Alberta,Manitoba,Saskatchewan,Nova Scotia,New Brunswick,Newfoundland and Labrador,Prince Edward Island,Yukon,Nunavut,Northwest Territories',
    streets:
      'Maple Ave,King St,Queen St,Dundas Rd,Bay Ave,Yonge St,Rue Sainte-Catherine,Rue Principale,Lake St,Pine Rd,Concession Road 6,Victoria Ave,Argyle St,Parliament St',
    postcode: (g) => g.pattern('@#@ #@#'),
    phone: '%##-###-####',
    cell: '%##-###-####',
    id: (g) => ({ name: 'SIN', value: g.pattern('%########') }),
  },
  CH: {
    country: 'Switzerland',
    male: 'Luca,Noah,Leon,Liam,Matteo,Elias,Gabriel,Samuel,David,Julian,Nico,Louis,Jonas,Aaron,Levin,Loris,Raphaël,Timéo',
    female: 'Mia,Emma,Lea,Lina,Mila,Sofia,Elena,Lara,Anna,Laura,Alina,Chiara,Léonie,Nina,Julia,Zoé,Elin,Noémie',
    last: 'Müller,Meier,Schmid,Keller,Weber,Huber,Schneider,Meyer,Steiner,Fischer,Gerber,Brunner,Baumann,Frei,Zimmermann,Moser,Rochat,Favre,Bernasconi,Fontana',
    cities: 'Zürich,Genève,Basel,Lausanne,Bern,Winterthur,Luzern,St. Gallen,Lugano,Biel/Bienne,Thun,Fribourg,Schaffhausen,Chur,Neuchâtel,Sion',
    states:
      'Zürich,Bern,Luzern,Uri,Schwyz,Zug,Fribourg,Solothurn,Basel-Stadt,Schaffhausen,St. Gallen,Graubünden,Aargau,Thurgau,Ticino,Vaud,Valais,Neuchâtel,Genève,Jura',
    streets:
      'Bahnhofstrasse,Rue de la Gare,Kirchweg,Dorfstrasse,Route de Genève,Rue du Marché,Hauptstrasse,Via Cantonale,Seestrasse,Rue des Alpes,Schulstrasse,Chemin des Vignes',
    postcode: (g) => g.int(1000, 9999),
    phone: '0## ### ## ##',
    cell: '07# ### ## ##',
    id: (g) => ({ name: 'AVS', value: g.pattern('756.####.####.##') }),
  },
  DE: {
    country: 'Germany',
    male: 'Lukas,Leon,Finn,Jonas,Paul,Felix,Maximilian,Ben,Elias,Noah,Luis,Henri,Jürgen,Günter,Matthias,Jörg,Sören,Björn',
    female: 'Emma,Mia,Hannah,Sophia,Lena,Lea,Marie,Anna,Johanna,Greta,Ida,Jana,Jördis,Käthe,Annegret,Lieselotte,Ursula,Renate',
    last: 'Müller,Schmidt,Schneider,Fischer,Weber,Meyer,Wagner,Becker,Schulz,Hoffmann,Schäfer,Koch,Bauer,Richter,Klein,Wolf,Schröder,Neumann,Schwarz,Krüger',
    cities: 'Berlin,Hamburg,München,Köln,Frankfurt am Main,Stuttgart,Düsseldorf,Leipzig,Dortmund,Essen,Bremen,Dresden,Hannover,Nürnberg,Lübeck,Göttingen',
    states:
      'Bayern,Berlin,Brandenburg,Bremen,Hamburg,Hessen,Mecklenburg-Vorpommern,Niedersachsen,Nordrhein-Westfalen,Rheinland-Pfalz,Saarland,Sachsen,Sachsen-Anhalt,Schleswig-Holstein,Thüringen,Baden-Württemberg',
    streets:
      'Hauptstraße,Schulstraße,Gartenstraße,Bahnhofstraße,Dorfstraße,Bergstraße,Birkenweg,Lindenstraße,Kirchstraße,Waldstraße,Ringstraße,Mühlenweg,Schillerstraße,Goethestraße',
    postcode: (g) => g.int(10000, 99999),
    phone: '0###-#######',
    cell: '01##-#######',
    id: (g) => ({ name: 'SVNR', value: g.pattern('## ###### @ ###') }),
  },
  DK: {
    country: 'Denmark',
    male: 'William,Noah,Oscar,Lucas,Carl,Victor,Malthe,Emil,Frederik,Oliver,Magnus,Elias,Søren,Bjørn,Jørgen,Rasmus,Mads,Asger',
    female: 'Emma,Ida,Clara,Freja,Alma,Agnes,Ella,Sofia,Karla,Laura,Anna,Josefine,Mathilde,Sørine,Maja,Astrid,Signe,Nanna',
    last: 'Nielsen,Jensen,Hansen,Pedersen,Andersen,Christensen,Larsen,Sørensen,Rasmussen,Jørgensen,Petersen,Madsen,Kristensen,Olsen,Thomsen,Poulsen,Johansen,Møller,Mortensen,Knudsen',
    cities: 'København,Aarhus,Odense,Aalborg,Esbjerg,Randers,Kolding,Horsens,Vejle,Roskilde,Herning,Hørsholm,Helsingør,Silkeborg,Næstved,Fredericia',
    states: 'Hovedstaden,Midtjylland,Nordjylland,Sjælland,Syddanmark',
    streets: 'Vestergade,Østergade,Nørregade,Søndergade,Kirkevej,Skovvej,Møllevej,Strandvejen,Bakkevej,Stationsvej,Engvej,Ålevej,Vængevej,Æblehaven',
    postcode: (g) => g.int(1000, 9999),
    phone: '########',
    cell: '########',
    id: (g) => ({ name: 'CPR', value: g.pattern('######-####') }),
  },
  ES: {
    country: 'Spain',
    male: 'Hugo,Martín,Lucas,Mateo,Leo,Daniel,Alejandro,Pablo,Manuel,Álvaro,Adrián,David,Mario,Enrique,Joaquín,Ramón,Íñigo,Jesús',
    female: 'Lucía,Sofía,Martina,María,Julia,Paula,Valeria,Emma,Daniela,Carla,Alba,Noa,Alma,Sara,Carmen,Inés,Begoña,Nuria',
    last: 'García,Rodríguez,González,Fernández,López,Martínez,Sánchez,Pérez,Gómez,Martín,Jiménez,Ruiz,Hernández,Díaz,Moreno,Muñoz,Álvarez,Romero,Alonso,Gutiérrez',
    cities:
      'Madrid,Barcelona,Valencia,Sevilla,Zaragoza,Málaga,Murcia,Palma de Mallorca,Las Palmas de Gran Canaria,Bilbao,Alicante,Córdoba,Valladolid,Vigo,Gijón,Logroño',
    states:
      'Andalucía,Aragón,Asturias,Islas Baleares,Canarias,Cantabria,Castilla y León,Castilla-La Mancha,Cataluña,Comunidad Valenciana,Extremadura,Galicia,Comunidad de Madrid,Región de Murcia,Navarra,País Vasco,La Rioja',
    streets:
      'Calle Mayor,Calle de Alcalá,Gran Vía,Avenida de América,Calle del Prado,Paseo de Extremadura,Calle de la Luna,Calle de Toledo,Avenida de Andalucía,Calle de Segovia,Ronda de Valencia,Calle Nueva',
    postcode: (g) => g.int(10000, 99999),
    phone: '9##-###-###',
    cell: '6##-###-###',
    id: (g) => ({ name: 'DNI', value: g.pattern('########-@') }),
  },
  FI: {
    country: 'Finland',
    male: 'Eino,Väinö,Onni,Elias,Leo,Oliver,Eeli,Aatu,Juho,Mikko,Jukka,Matti,Pekka,Timo,Antti,Ville,Niilo,Lauri',
    female: 'Aino,Eevi,Helmi,Aada,Sofia,Venla,Ella,Lilja,Emma,Siiri,Kerttu,Pihla,Elli,Iida,Minea,Jenni,Sanna,Päivi',
    last: 'Korhonen,Virtanen,Mäkinen,Nieminen,Mäkelä,Hämäläinen,Laine,Heikkinen,Koskinen,Järvinen,Lehtonen,Lehtinen,Saarinen,Salminen,Heinonen,Niemi,Heikkilä,Kinnunen,Salonen,Turunen',
    cities: 'Helsinki,Espoo,Tampere,Vantaa,Oulu,Turku,Jyväskylä,Lahti,Kuopio,Pori,Joensuu,Lappeenranta,Hämeenlinna,Vaasa,Seinäjoki,Rovaniemi',
    states:
      'Uusimaa,Varsinais-Suomi,Satakunta,Kanta-Häme,Pirkanmaa,Päijät-Häme,Kymenlaakso,Etelä-Karjala,Etelä-Savo,Pohjois-Savo,Pohjois-Karjala,Keski-Suomi,Etelä-Pohjanmaa,Pohjanmaa,Pohjois-Pohjanmaa,Kainuu,Lappi,Ahvenanmaa',
    streets:
      'Hämeenkatu,Mannerheimintie,Aleksanterinkatu,Satakennankatu,Pyynikintie,Itsenäisyydenkatu,Rautatienkatu,Kauppakatu,Nordenskiöldinkatu,Tehtaankatu,Pispalan Valtatie,Esplanadi',
    postcode: (g) => g.int(10000, 99999),
    phone: '0#-###-###',
    cell: '04#-###-##-##',
    id: (g) => ({ name: 'HETU', value: g.pattern('######-###@') }),
  },
  FR: {
    country: 'France',
    male: 'Gabriel,Léo,Raphaël,Louis,Lucas,Jules,Hugo,Arthur,Nathan,Théo,Mathéo,Maël,Noé,Timothée,Jérôme,Gérald,Rémi,Anaël',
    female: 'Jade,Louise,Emma,Alice,Chloé,Léa,Manon,Inès,Lina,Mila,Zoé,Camille,Élise,Maëlle,Océane,Héloïse,Anaïs,Clémence',
    last: 'Martin,Bernard,Dubois,Thomas,Robert,Richard,Petit,Durand,Leroy,Moreau,Simon,Laurent,Lefebvre,Michel,Garcia,David,Bertrand,Roux,Vincent,Fournier',
    cities: 'Paris,Marseille,Lyon,Toulouse,Nice,Nantes,Strasbourg,Montpellier,Bordeaux,Lille,Rennes,Reims,Le Havre,Saint-Étienne,Toulon,Besançon',
    states:
      "Ain,Aisne,Allier,Ardèche,Aveyron,Bouches-du-Rhône,Calvados,Corrèze,Côte-d'Or,Doubs,Drôme,Finistère,Gironde,Hérault,Isère,Loire-Atlantique,Lozère,Nièvre,Puy-de-Dôme,Rhône,Savoie,Vendée",
    streets:
      "Rue de la République,Rue Victor-Hugo,Place du 8 Février 1962,Rue des Écoles,Avenue Jean-Jaurès,Rue Paul-Bert,Rue de l'Abbé-Grégoire,Rue du Château,Boulevard de la Croix-Rousse,Rue Dugas-Montbel,Place de l'Église,Avenue du Fort-Caire",
    postcode: (g) => g.int(10000, 99999),
    phone: '0#-##-##-##-##',
    cell: '06-##-##-##-##',
    titlesFemale: ['Mademoiselle', 'Madame', 'Mrs', 'Ms'],
    titleMale: 'Monsieur',
    id: (g, gender) => ({ name: 'INSEE', value: `${gender === 'male' ? 1 : 2}${g.pattern('############ ##')}` }),
  },
  GB: {
    country: 'United Kingdom',
    male: 'Oliver,George,Harry,Jack,Charlie,Thomas,Oscar,William,James,Henry,Alfie,Freddie,Archie,Leo,Arthur,Theo,Edward,Rhys',
    female: 'Olivia,Amelia,Isla,Ava,Emily,Sophie,Grace,Lily,Freya,Poppy,Evie,Ella,Daisy,Florence,Sienna,Harriet,Imogen,Megan',
    last: 'Smith,Jones,Taylor,Brown,Williams,Wilson,Johnson,Davies,Robinson,Wright,Thompson,Evans,Walker,White,Roberts,Green,Hall,Wood,Jackson,Clarke',
    cities:
      'London,Birmingham,Manchester,Leeds,Liverpool,Sheffield,Bristol,Newcastle upon Tyne,Nottingham,Leicester,Coventry,Cardiff,Edinburgh,Glasgow,Belfast,Brighton and Hove',
    states:
      'Greater London,West Midlands,Greater Manchester,West Yorkshire,Merseyside,South Yorkshire,Avon,Tyne and Wear,Nottinghamshire,Leicestershire,Kent,Essex,Surrey,Devon,Lancashire,Strathclyde,Lothian,Gwent',
    streets:
      'High Street,Station Road,Main Street,Park Road,Church Road,Church Street,London Road,Victoria Road,Green Lane,Manor Road,Church Lane,Park Avenue,The Avenue,Queensway,New Street,Kingsway',
    postcode: (g) => g.pattern(g.pick(['@# #@@', '@## #@@', '@@# #@@', '@@## #@@', '@@#@ #@@'])),
    phone: '0##-####-####',
    cell: '07###-######',
    id: (g) => ({ name: 'NINO', value: g.pattern('@@ ## ## ## @') }),
  },
  IE: {
    country: 'Ireland',
    male: 'Jack,James,Noah,Conor,Seán,Daniel,Michael,Cian,Darragh,Oisín,Patrick,Liam,Fionn,Tadhg,Cillian,Ruairí,Colm,Dónal',
    female: 'Emily,Grace,Fiadh,Sophie,Lucy,Ava,Aoife,Saoirse,Siobhán,Niamh,Caoimhe,Róisín,Éabha,Clodagh,Sinéad,Orla,Áine,Ciara',
    last: "Murphy,Kelly,O'Sullivan,Walsh,Smith,O'Brien,Byrne,Ryan,O'Connor,O'Neill,Reilly,Doyle,McCarthy,Gallagher,Doherty,Kennedy,Lynch,Murray,Quinn,Moore",
    cities: 'Dublin,Cork,Limerick,Galway,Waterford,Drogheda,Dundalk,Swords,Bray,Navan,Kilkenny,Ennis,Carlow,Tralee,Newbridge,Athlone',
    states:
      'Dublin,Cork,Galway,Limerick,Waterford,Kerry,Clare,Mayo,Donegal,Sligo,Wexford,Wicklow,Kildare,Meath,Louth,Kilkenny,Tipperary,Offaly,Laois,Westmeath',
    streets:
      "Main Street,Church Street,Bridge Street,The Crescent,Mill Lane,Grafton Street,O'Connell Street,Patrick Street,Shop Street,Parnell Road,Green Street,Castle Street",
    postcode: (g) => g.int(10000, 99999),
    phone: '0#1-###-####',
    cell: '08#-###-####',
    id: (g) => ({ name: 'PPS', value: g.pattern('#######@') }),
  },
  IN: {
    country: 'India',
    male:
      'आरव|aarav,विवान|vivaan,आदित्य|aditya,विहान|vihaan,अर्जुन|arjun,साई|sai,रेयांश|reyansh,अयान|ayaan,कृष्णा|krishna,' +
      'इशान|ishaan,शौर्य|shaurya,अंकित|ankit,राहुल|rahul,प्रणव|pranav,करण|karan,रोहन|rohan,विकास|vikas,अमित|amit',
    female:
      'अनन्या|ananya,दीया|diya,सान्वी|saanvi,अदिति|aditi,आरोही|aarohi,पिहू|pihu,अवनी|avni,ईशा|isha,काव्या|kavya,' +
      'मीरा|meera,नेहा|neha,पूजा|pooja,प्रिया|priya,रिया|riya,श्रेया|shreya,तन्वी|tanvi,वैष्णवी|vaishnavi,लक्ष्मी|lakshmi',
    last:
      'शर्मा|sharma,वर्मा|verma,गुप्ता|gupta,सिंह|singh,कुमार|kumar,पटेल|patel,शाह|shah,मेहता|mehta,जोशी|joshi,' +
      'अग्रवाल|agarwal,मिश्रा|mishra,पांडे|pandey,यादव|yadav,रेड्डी|reddy,नायर|nair,राव|rao,कोठारी|kothari,भट|bhat,देसाई|desai,चौधरी|chaudhary',
    cities: 'Mumbai,Delhi,Bengaluru,Hyderabad,Ahmedabad,Chennai,Kolkata,Surat,Pune,Jaipur,Lucknow,Kanpur,Nagpur,Indore,Bhopal,Visakhapatnam',
    states:
      'Maharashtra,Delhi,Karnataka,Telangana,Gujarat,Tamil Nadu,West Bengal,Rajasthan,Uttar Pradesh,Madhya Pradesh,Andhra Pradesh,Kerala,Punjab,Haryana,Bihar,Odisha',
    streets: 'MG Road,Nehru Road,Gandhi Marg,Station Road,Mall Road,Park Street,Linking Road,Residency Road,Brigade Road,Anna Salai,Chandni Chowk,Ashram Road',
    postcode: (g) => g.int(10000, 99999),
    phoneFn: (g) => `${g.pick([7, 8, 9])}${g.pattern('#########')}`,
    id: (g) => ({ name: 'UIDAI', value: g.pattern('############') }),
  },
  IR: {
    country: 'Iran',
    male:
      'علی|ali,محمد|mohammad,حسین|hosein,امیر|amir,رضا|reza,مهدی|mahdi,پارسا|parsa,آرش|arash,سینا|sina,کیان|kian,' +
      'نیما|nima,بردیا|bardia,حامد|hamed,سعید|saeed,یاسین|yasin,کوروش|kourosh',
    female:
      'فاطمه|fatemeh,زهرا|zahra,مریم|maryam,نگار|negar,سارا|sara,یاسمن|yasaman,آوا|ava,هستی|hasti,ریحانه|reyhaneh,' +
      'نازنین|nazanin,مهسا|mahsa,پریا|paria,الناز|elnaz,شیرین|shirin,ترانه|taraneh,نیلوفر|niloofar',
    last:
      'محمدی|mohammadi,حسینی|hoseini,احمدی|ahmadi,رضایی|rezaei,کریمی|karimi,موسوی|mousavi,جعفری|jafari,صادقی|sadeghi,' +
      'رحیمی|rahimi,نجاتی|nejati,کاظمی|kazemi,قاسمی|ghasemi,یزدانی|yazdani,سلطانی|soltani,مرادی|moradi,اکبری|akbari',
    cities: 'تهران,مشهد,اصفهان,کرج,شیراز,تبریز,قم,اهواز,کرمانشاه,ارومیه,رشت,زاهدان,کرمان,همدان,یزد,اردبیل',
    states: 'تهران,خراسان رضوی,اصفهان,البرز,فارس,آذربایجان شرقی,قم,خوزستان,کرمانشاه,آذربایجان غربی,گیلان,سیستان و بلوچستان,کرمان,همدان,یزد,اردبیل',
    streets:
      'میدان آزادی,خیابان ولیعصر,خیابان انقلاب,میدان ونک,خیابان شریعتی,بلوار کشاورز,خیابان جمهوری,میدان تجریش,خیابان آزادی,پارک لاله,میدان امام حسین,خیابان فاطمی',
    postcode: (g) => g.int(10000, 99999),
    phone: '0##-########',
    cell: '09##-###-####',
    id: () => ({ name: '', value: null }),
  },
  MX: {
    country: 'Mexico',
    male: 'Santiago,Mateo,Sebastián,Leonardo,Matías,Emiliano,Diego,Miguel Ángel,Daniel,Alejandro,José Luis,Juan Carlos,Ángel,Jesús,Iker,Rodrigo,Héctor,Raúl',
    female:
      'Sofía,Valentina,Regina,María José,Ximena,Camila,María Fernanda,Valeria,Renata,Victoria,Natalia,Daniela,Guadalupe,Mónica,Araceli,Rocío,Itzel,Citlali',
    last: 'Hernández,García,Martínez,López,González,Pérez,Rodríguez,Sánchez,Ramírez,Cruz,Flores,Gómez,Morales,Vázquez,Reyes,Jiménez,Torres,Díaz,Gutiérrez,Ruiz',
    cities:
      'Ciudad de México,Guadalajara,Monterrey,Puebla,Tijuana,León,Juárez,Zapopan,Mérida,Querétaro,San Luis Potosí,Aguascalientes,Chihuahua,Toluca,Morelia,Cancún',
    states:
      'Ciudad de México,Jalisco,Nuevo León,Puebla,Baja California,Guanajuato,Chihuahua,Yucatán,Querétaro,San Luis Potosí,Aguascalientes,Estado de México,Michoacán,Quintana Roo,Oaxaca,Veracruz',
    streets:
      'Avenida Juárez,Calle Hidalgo,Avenida Reforma,Calle Morelos,Avenida Insurgentes,Calle Zaragoza,Privada Guerrero,Callejón Allende,Circuito Independencia,Calle Madero,Cerrada Norte,Avenida Revolución',
    postcode: (g) => g.int(10000, 99999),
    phone: '(###) ### ####',
    cell: '(###) ### ####',
    id: (g) => ({ name: 'NSS', value: g.pattern('## ## ## #### #') }),
  },
  NL: {
    country: 'Netherlands',
    male: 'Daan,Sem,Lucas,Levi,Finn,Milan,Bram,Luuk,Jesse,Thijs,Ruben,Sven,Joris,Gijs,Stijn,Teun,Wouter,Pieter',
    female: 'Emma,Julia,Tess,Sophie,Zoë,Mila,Sara,Anna,Eva,Noor,Lotte,Fenna,Isa,Femke,Sanne,Roos,Ilse,Marieke',
    last: 'de Jong,Jansen,de Vries,van den Berg,van Dijk,Bakker,Janssen,Visser,Smit,Meijer,de Boer,Mulder,de Groot,Bos,Vos,Peters,Hendriks,van Leeuwen,Dekker,Brouwer',
    cities: "Amsterdam,Rotterdam,Den Haag,Utrecht,Eindhoven,Groningen,Tilburg,Almere,Breda,Nijmegen,Apeldoorn,Haarlem,Enschede,Arnhem,Zaandam,'s-Hertogenbosch",
    states: 'Noord-Holland,Zuid-Holland,Utrecht,Noord-Brabant,Gelderland,Groningen,Friesland,Drenthe,Overijssel,Flevoland,Zeeland,Limburg',
    streets:
      'Kerkstraat,Dorpsstraat,Schoolstraat,Molenweg,Stationsweg,Julianastraat,Beatrixstraat,Nieuwstraat,Marktplein,Sint Janslaan,Lindenlaan,Prinsengracht,Oudegracht,IJsselkade',
    postcode: (g) => g.pattern('%### @@'),
    phone: '(0###) ######',
    cell: '(06) ########',
    id: (g) => ({ name: 'BSN', value: g.pattern('########') }),
  },
  NO: {
    country: 'Norway',
    male: 'Jakob,Emil,Noah,Oliver,Filip,William,Lucas,Henrik,Aksel,Magnus,Sindre,Håkon,Øystein,Bjørn,Ståle,Tor,Eirik,Sverre',
    female: 'Nora,Emma,Ella,Maja,Olivia,Emilie,Sofie,Leah,Ingrid,Sigrid,Astrid,Solveig,Ragnhild,Tuva,Kristin,Åse,Mathilde,Ylva',
    last: 'Hansen,Johansen,Olsen,Larsen,Andersen,Pedersen,Nilsen,Kristiansen,Jensen,Karlsen,Johnsen,Pettersen,Eriksen,Berg,Haugen,Hagen,Johannessen,Andreassen,Jacobsen,Dahl',
    cities: 'Oslo,Bergen,Trondheim,Stavanger,Drammen,Fredrikstad,Kristiansand,Sandnes,Tromsø,Sarpsborg,Skien,Ålesund,Sandefjord,Haugesund,Tønsberg,Moss',
    states: 'Oslo,Viken,Innlandet,Vestfold og Telemark,Agder,Rogaland,Vestland,Møre og Romsdal,Trøndelag,Nordland,Troms og Finnmark',
    streets:
      'Storgata,Kirkegata,Skolegata,Kongens gate,Dronningens gate,Bjørnstjerne Bjørnsons gate,Ringveien,Fjordveien,Sjøgata,Kirkeveien,Bakkeveien,Løkkeveien',
    postcode: (g) => g.int(1000, 9999),
    phone: '########',
    cell: '9#######',
    id: (g) => ({ name: 'FN', value: g.pattern('###########') }),
  },
  NZ: {
    country: 'New Zealand',
    male: 'Oliver,Jack,Noah,Leo,George,Charlie,Lucas,Hunter,Mason,Luca,Nikau,Ari,Tama,Wiremu,Rāwiri,Mikaere,Hēmi,Kauri',
    female: 'Isla,Charlotte,Amelia,Olivia,Willow,Ava,Mia,Harper,Lily,Ruby,Aroha,Maia,Anahera,Mere,Kaia,Hine,Ātaahua,Manaia',
    last: 'Smith,Wilson,Williams,Brown,Taylor,Jones,Thomas,Walker,Anderson,White,Martin,Harris,Clark,Ngata,Parata,Tipene,Davis,Roberts,Thompson',
    cities:
      'Auckland,Wellington,Christchurch,Hamilton,Tauranga,Napier,Dunedin,Palmerston North,Nelson,Rotorua,New Plymouth,Whangārei,Invercargill,Whanganui,Gisborne,Timaru',
    states:
      "Auckland,Wellington,Canterbury,Waikato,Bay of Plenty,Hawke's Bay,Otago,Manawatu-Wanganui,Nelson,Taranaki,Northland,Southland,Gisborne,Marlborough,West Coast,Tasman",
    streets:
      'Queen Street,Lambton Quay,Colombo Street,Cuba Street,Karangahape Road,Dominion Road,Ponsonby Road,Victoria Street,Taranaki Street,Riccarton Road,George Street,Devon Street',
    postcode: (g) => g.int(1000, 9999),
    phone: '(###)-###-####',
    cell: '(###)-###-####',
    id: () => ({ name: '', value: null }),
  },
  RS: {
    country: 'Serbia',
    male: 'Лука,Стефан,Никола,Лазар,Марко,Алекса,Вукашин,Душан,Огњен,Милош,Ђорђе,Немања,Урош,Петар,Вук,Јован,Михајло,Бранко',
    female: 'Милица,Јована,Анђела,Катарина,Марија,Сара,Теодора,Ана,Јелена,Ивана,Нина,Драгана,Мила,Тамара,Љиљана,Хана,Ђурђина,Софија',
    last: 'Јовановић,Петровић,Николић,Марковић,Ђорђевић,Стојановић,Илић,Станковић,Павловић,Милошевић,Поповић,Јанковић,Савић,Костић,Митровић,Лукић,Живковић,Обрадовић,Вуковић,Ђукић',
    cities: 'Београд,Нови Сад,Ниш,Крагујевац,Суботица,Зрењанин,Панчево,Чачак,Нови Пазар,Краљево,Смедерево,Лесковац,Ваљево,Крушевац,Врање,Шабац',
    states:
      'Град Београд,Јужнобачки,Нишавски,Шумадијски,Севернобачки,Средњобанатски,Јужнобанатски,Моравички,Рашки,Мачвански,Колубарски,Расински,Пчињски,Браничевски,Златиборски,Зајечарски',
    streets:
      'Кнеза Михаила,Булевар ослобођења,Немањина,Цара Душана,Краља Петра,Таковска,Војводе Степе,Његошева,Светог Саве,Јована Цвијића,Гаврила Принципа,Змај Јовина',
    postcode: (g) => g.int(10000, 99999),
    phone: '0%#-####-###',
    cell: '06#-####-###',
    id: (g) => ({ name: 'SID', value: g.pattern('#########') }),
  },
  TR: {
    country: 'Turkey',
    male: 'Yusuf,Eymen,Ömer,Mustafa,Ali,Emir,Kerem,Mehmet,Ahmet,Burak,Çağan,Doğan,Gökhan,İbrahim,Şahin,Uğur,Özgür,Tolga',
    female: 'Zeynep,Elif,Defne,Eylül,Azra,Nehir,Ecrin,Asel,Meryem,Gülsüm,Şeyma,İrem,Özge,Çağla,Büşra,Gülay,Ayşe,Hülya',
    last: 'Yılmaz,Kaya,Demir,Şahin,Çelik,Yıldız,Yıldırım,Öztürk,Aydın,Özdemir,Arslan,Doğan,Kılıç,Aslan,Çetin,Kara,Koç,Kurt,Özkan,Şimşek',
    cities: 'İstanbul,Ankara,İzmir,Bursa,Antalya,Adana,Konya,Gaziantep,Şanlıurfa,Kocaeli,Mersin,Diyarbakır,Kayseri,Eskişehir,Samsun,Denizli',
    states: 'İstanbul,Ankara,İzmir,Bursa,Antalya,Adana,Konya,Gaziantep,Şanlıurfa,Kocaeli,Mersin,Diyarbakır,Kayseri,Eskişehir,Samsun,Denizli,Muğla,Çanakkale',
    streets:
      'Atatürk Sk,Cumhuriyet Cd,İstiklal Cd,Bağdat Cd,Fatih Sk,Kushimoto Sk,Necatibey Cd,Talak Göktepe Cd,Anafartalar Cd,Şehitler Cd,Menekşe Sk,Çiçek Sk',
    postcode: (g) => g.int(10000, 99999),
    phone: '(###)-###-####',
    cell: '(###)-###-####',
    id: (g) => ({ name: 'TCKN', value: g.pattern('%##########') }),
  },
  UA: {
    country: 'Ukraine',
    male: 'Олександр,Андрій,Дмитро,Максим,Богдан,Тарас,Остап,Ярослав,Назар,Іван,Микола,Степан,Віталій,Юрій,Захар,Орест,Святослав,Гліб',
    female: 'Анастасія,Марія,Софія,Олена,Оксана,Ірина,Наталія,Юлія,Дарина,Катерина,Ганна,Зоряна,Соломія,Жадана,Людмила,Христина,Мирослава,Ївга',
    last: 'Шевченко,Бондаренко,Коваленко,Бойко,Ткаченко,Кравченко,Коваль,Олійник,Шевчук,Поліщук,Ковальчук,Мельник,Лисенко,Руденко,Савченко,Марченко,Петренко,Гончаренко,Ярошенко,Кравчук',
    cities: 'Київ,Харків,Одеса,Дніпро,Львів,Запоріжжя,Кривий Ріг,Миколаїв,Вінниця,Полтава,Чернігів,Черкаси,Житомир,Суми,Хмельницький,Рівне',
    states:
      'Київська,Харківська,Одеська,Дніпропетровська,Львівська,Запорізька,Миколаївська,Вінницька,Полтавська,Чернігівська,Черкаська,Житомирська,Сумська,Хмельницька,Рівненська,Волинська',
    streets: 'Хрещатик,Шевченка,Франка,Лесі Українки,Грушевського,Садова,Соборна,Лугова,Центральна,Польова,Шкільна,Миру',
    postcode: (g) => g.int(10000, 99999),
    phoneFn: (g) => `(0${g.pick(UA_OPERATORS)}) ${g.pattern('###-####')}`,
    id: () => ({ name: '', value: null }),
  },
  US: {
    country: 'United States',
    male: 'James,John,Robert,Michael,William,David,Richard,Joseph,Thomas,Charles,Daniel,Matthew,Anthony,Mark,Steven,Brandon,Tyler,Dylan',
    female: 'Mary,Patricia,Jennifer,Linda,Elizabeth,Barbara,Susan,Jessica,Sarah,Karen,Nancy,Lisa,Betty,Ashley,Emily,Madison,Brittany,Jennie',
    last: 'Smith,Johnson,Williams,Brown,Jones,Garcia,Miller,Davis,Rodriguez,Martinez,Hernandez,Lopez,Gonzalez,Wilson,Anderson,Thomas,Taylor,Moore,Jackson,Nichols',
    cities:
      'New York,Los Angeles,Chicago,Houston,Phoenix,Philadelphia,San Antonio,San Diego,Dallas,San Jose,Austin,Jacksonville,Billings,Fort Worth,Columbus,Charlotte',
    states:
      'Alabama,Alaska,Arizona,California,Colorado,Florida,Georgia,Illinois,Indiana,Michigan,Minnesota,Montana,Nevada,New York,North Carolina,Ohio,Oregon,Pennsylvania,Texas,Washington',
    streets:
      'Valwood Pkwy,Main St,Oak Lawn Ave,Pecan Acres Ln,Hickory Creek Dr,Washington Ave,Lakeview St,Mockingbird Ln,W Sherman Dr,Cherry St,Elgin St,Railroad St,Thornridge Cir,Spring St',
    postcode: (g) => g.int(10000, 99999),
    phone: '(%##) %##-####',
    cell: '(%##) %##-####',
    id: (g) => ({ name: 'SSN', value: `${g.int(100, 665)}-${g.pattern('%#')}-${g.int(1000, 9999)}` }),
  },
};

/** Compiled per-nationality data, keyed by nationality code. */
export const NAT_TABLE = Object.fromEntries(
  NATS.map((nat) => {
    const d = NAT_DATA[nat];
    const entry = {
      nat,
      country: d.country,
      male: names(d.male),
      female: names(d.female),
      last: names(d.last),
      cities: list(d.cities),
      states: list(d.states),
      streets: list(d.streets),
      postcode: d.postcode,
      titlesFemale: d.titlesFemale ?? TITLES_FEMALE,
      titleMale: d.titleMale ?? 'Mr',
      id: d.id,
      phone: d.phoneFn ?? ((g) => g.pattern(d.phone)),
      cell: d.phoneFn ?? ((g) => g.pattern(d.cell)),
    };
    return [nat, entry];
  }),
);
