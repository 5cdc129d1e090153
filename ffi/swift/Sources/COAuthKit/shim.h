#include <oauthkit.h>
