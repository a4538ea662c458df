// The including project's own target (C++17): only its compile command is checked.
int main() { return 0; }
