//! The enterprise register, vehicles at the gate and who sees what of them, through the CLI and the API.
