// Imported first by every benchmark entry: the services are measured as they are deployed, without
// the development checks the test harness turns on (each emitted notification parsed against its
// spec, SWITCHYARD_CHECK_EVENTS). Processes the benchmark starts inherit this environment.
process.env.SWITCHYARD_CHECK_EVENTS = "0";
