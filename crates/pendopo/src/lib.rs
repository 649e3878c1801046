//! Pendopo: a smart city and open government platform for Indonesian
//! regencies and cities. See `docs/ARCHITECTURE.md` for the map.

pub mod cli;
pub mod clock;
pub mod demo;
pub mod kernel;
pub mod services;
pub mod slices;
pub mod store;
pub mod web;
pub mod worker;
