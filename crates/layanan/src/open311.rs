//! Open311 GeoReport v2 (in progress).
