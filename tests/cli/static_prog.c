/* Built with -static: threadleak run must say it cannot be preloaded. */
#include <stdio.h>

int main(void)
{
	puts("static program ran");
	return 0;
}
