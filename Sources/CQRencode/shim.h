// libqrencode (Debian's libqrencode-dev), the QR encoder the household code sheets use.
#include <qrencode.h>
