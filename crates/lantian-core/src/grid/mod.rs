//! Grid supervision (网格化监管): the township a point lies in, grid tasks and their rules,
//! fire points merged across satellite passes, and the EXIF of evidence photos. Pure.

pub mod dust;
pub mod exif;
pub mod fire;
pub mod geo;
pub mod task;
