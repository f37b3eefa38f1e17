//! `lantian bench cems` runs and reports its figures.
