module tidal.dev/keda-vectors

go 1.26
