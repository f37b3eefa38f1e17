//! Enforcement cases (执法案件): origins, states, decisions and their transitions.
