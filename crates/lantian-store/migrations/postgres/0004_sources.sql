-- Pollution sources: the enterprise register, outlets with their limits, and equipment whose
-- working condition is monitored. An outlet's or a piece of equipment's monitoring series is
-- a row of stations (role outlet or equipment) with the same id, so that CEMS, working-
-- condition and electricity data share the one storage and query path of ambient stations.
ALTER TABLE enterprises ADD COLUMN lat DOUBLE PRECISION;
ALTER TABLE enterprises ADD COLUMN lon DOUBLE PRECISION;
ALTER TABLE enterprises ADD COLUMN key_polluter BIGINT NOT NULL DEFAULT 0;
ALTER TABLE enterprises ADD COLUMN permit_no TEXT;
ALTER TABLE enterprises ADD COLUMN demo BIGINT NOT NULL DEFAULT 0;
ALTER TABLE enterprises ADD COLUMN clean_transport_target_pct DOUBLE PRECISION;  -- 清洁运输比例目标
-- Set by the enterprise itself (plan §9(三)): its monitoring data are public, with a note on
-- its treatment measures.
ALTER TABLE enterprises ADD COLUMN discloses BIGINT NOT NULL DEFAULT 0;
ALTER TABLE enterprises ADD COLUMN disclosure_note TEXT;

ALTER TABLE outlets ADD COLUMN kind TEXT NOT NULL DEFAULT 'stack';   -- stack | fugitive
ALTER TABLE outlets ADD COLUMN height_m DOUBLE PRECISION;
ALTER TABLE outlets ADD COLUMN o2_ref_pct DOUBLE PRECISION;                      -- the industry's reference O2
ALTER TABLE outlets ADD COLUMN flow_stopped_m3_h DOUBLE PRECISION NOT NULL DEFAULT 0;

-- An outlet's emission limit per pollutant (mg/m³, on the normalised value) and where it
-- comes from (e.g. 河北省钢铁工业大气污染物超低排放标准 DB13/2169-2018).
CREATE TABLE outlet_limits (
    outlet_id TEXT NOT NULL REFERENCES outlets(id),
    code TEXT NOT NULL,
    limit_mg_m3 DOUBLE PRECISION NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (outlet_id, code)
);

-- Production and treatment equipment (生产设施, 治污设施): its status (SBxxx-RS) or power from
-- an electricity meter (分表计电) tells whether it runs.
CREATE TABLE equipment (
    id TEXT PRIMARY KEY,
    enterprise_id TEXT NOT NULL REFERENCES enterprises(id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,                -- production | treatment
    outlet_id TEXT REFERENCES outlets(id),
    rated_kw DOUBLE PRECISION,
    status_code TEXT,                  -- e.g. SB1-RS: 1 running, anything else not
    meter_kind TEXT,                   -- an electricity meter: power (kW) | energy (kWh counter) | current (A)
    meter_code TEXT,                   -- the code the meter sends it under
    meter_running_min DOUBLE PRECISION             -- at or above this reading (kW or A) it runs
);

DROP TABLE production_lines;

-- Vehicles at an enterprise's gate (门禁): one row per passage, times in Beijing time like
-- every ts. The gate system's vehicle type is kept as written; class, standard and fuel are
-- read from it (lantian_core::vehicles).
CREATE TABLE gate_records (
    enterprise_id TEXT NOT NULL REFERENCES enterprises(id),
    ts BIGINT NOT NULL,
    plate TEXT NOT NULL,
    direction TEXT NOT NULL,           -- in | out
    vehicle_type TEXT NOT NULL,
    class TEXT NOT NULL,               -- heavy_truck | other_truck | non_road | other
    standard TEXT NOT NULL,            -- 国0 … 国6 | 新能源
    fuel TEXT NOT NULL,
    PRIMARY KEY (enterprise_id, ts, plate, direction)
);
