/* eddy command line entry point (placeholder until the CLI lands). */
#include <stdio.h>
int main(void) { puts("eddy " EDDY_VERSION); return 0; }
