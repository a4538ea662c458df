// A target of the project that adds dockerdiff (the subdirectory and fetchcontent samples, C++17):
// the tests check that it keeps the project's standard.
int main() { return 0; }
