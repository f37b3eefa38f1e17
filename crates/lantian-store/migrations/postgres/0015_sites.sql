-- Dust sites, dustfall, inspections, non-road machinery (issue 18). A site (construction,
-- road, yard) has its township, its supervising department, and the ambient station row
-- of its dust monitor (there is no station role for dust monitors: any ambient station id,
-- usually a micro sensor) with the code watched (a34002 PM10 or a34001 TSP), its limit in
-- µg/m³ and the consecutive hours over it that make an episode.
CREATE TABLE sites (
    id TEXT COLLATE "C" PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('construction', 'road', 'yard', 'other')),
    township TEXT,
    department TEXT,
    lat DOUBLE PRECISION NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    owner TEXT NOT NULL DEFAULT '',
    monitor_station_id TEXT,
    monitor_code TEXT NOT NULL DEFAULT 'a34002',
    limit_ug_m3 DOUBLE PRECISION NOT NULL,
    excess_hours_min INTEGER NOT NULL CHECK (excess_hours_min >= 1),
    actor TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);

-- Exceedance episodes found by the dust scan: consecutive hours (CST seconds of each hour's
-- start) over the site's limit; one task per episode (task_id).
CREATE TABLE site_episodes (
    id BIGSERIAL PRIMARY KEY,
    site_id TEXT COLLATE "C" NOT NULL REFERENCES sites (id),
    first_hour_ts BIGINT NOT NULL,
    last_hour_ts BIGINT NOT NULL,
    peak_ug_m3 DOUBLE PRECISION NOT NULL,
    task_id BIGINT,
    created_ms BIGINT NOT NULL,
    UNIQUE (site_id, first_hour_ts)
);

-- Monthly dustfall (降尘, t/km²·month) per site, entered or imported; a later row for the
-- same site and month supersedes an earlier one, both stay.
CREATE TABLE site_dustfall (
    id BIGSERIAL PRIMARY KEY,
    site_id TEXT COLLATE "C" NOT NULL REFERENCES sites (id),
    month TEXT NOT NULL,
    value_t_km2 DOUBLE PRECISION NOT NULL,
    actor TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX site_dustfall_by_month ON site_dustfall (month, site_id, id);

-- Inspections with the six-100% checklist (六个百分之百): `items` is a JSON array of
-- {item, ok, note}; `passed` is 1 when every item is met.
CREATE TABLE site_inspections (
    id BIGSERIAL PRIMARY KEY,
    site_id TEXT COLLATE "C" NOT NULL REFERENCES sites (id),
    date TEXT NOT NULL,
    items TEXT NOT NULL,
    passed INTEGER NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    actor TEXT NOT NULL,
    at_ms BIGINT NOT NULL
);
CREATE INDEX site_inspections_by_site ON site_inspections (site_id, id);

-- The non-road mobile machinery register (编码登记) and its inspections.
CREATE TABLE machinery (
    code TEXT COLLATE "C" PRIMARY KEY,
    owner TEXT NOT NULL,
    kind TEXT NOT NULL,
    stage TEXT NOT NULL CHECK (stage IN ('cn1', 'cn2', 'cn3', 'cn4')),
    engine_kw DOUBLE PRECISION,
    site_id TEXT COLLATE "C" REFERENCES sites (id),
    registered TEXT NOT NULL,
    actor TEXT NOT NULL,
    at_ms BIGINT NOT NULL
);

CREATE TABLE machinery_inspections (
    id BIGSERIAL PRIMARY KEY,
    code TEXT COLLATE "C" NOT NULL REFERENCES machinery (code),
    date TEXT NOT NULL,
    result TEXT NOT NULL CHECK (result IN ('pass', 'fail')),
    opacity_m1 DOUBLE PRECISION,
    note TEXT NOT NULL DEFAULT '',
    actor TEXT NOT NULL,
    at_ms BIGINT NOT NULL
);
CREATE INDEX machinery_inspections_by_code ON machinery_inspections (code, id);
