// libyaml (Debian: libyaml-dev), the C parser Yams wraps, called directly so the tools do not
// link Foundation. See docs/decisions.md, "YAML".
#include <yaml.h>
