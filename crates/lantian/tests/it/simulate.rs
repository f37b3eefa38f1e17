//! The device simulator for pollution sources: CEMS, working-condition and electricity data with chosen faults, through the real gateway.
