// sg-helpers: git-credential-sg, sg-askpass and the plugin helpers in one binary, which the Debian
// package installs once with /usr/bin/TOOL links to it; it runs the tool its argv[0] names.
import SGCore
import SGHelpers

HelperTools.run(ToolDispatch.invokedName)
