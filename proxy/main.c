/* main.c: the bulwark command line. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    (void)argv;
    if (argc < 2) {
        fprintf(stderr, "usage: bulwark COMMAND ...\n");
        return 2;
    }
    return 2;
}
