/* The footprint baseline: an empty program built and linked with the minimal client's flags.
 * Its `size` is what the C runtime costs; the client's text is measured above it. */
int main(void)
{
    return 0;
}
