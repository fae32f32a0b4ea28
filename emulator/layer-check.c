/* An empty program into which emulator/meson.build links one layer's
 * library whole, with only the layers below it: the link fails when the
 * layer calls a function of a layer it may not use. */
int main(void)
{
	return 0;
}
