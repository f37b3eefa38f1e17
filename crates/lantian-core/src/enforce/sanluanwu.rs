//! The 散乱污 list: entries, their dynamic clearing and the monthly count that must return to zero.
