// A library without the parley_plugin_load entry point.
extern "C" int not_the_entry_point() { return 0; }
