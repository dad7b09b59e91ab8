// sg-commands: sg-ssh-key, sg-exec, sg-secret, sg-token, sg-watch and sg-doctor in one binary,
// which the Debian package installs once with /usr/bin/TOOL links to it; it runs the tool its
// argv[0] names.
import SGCommand
import SGCore

CommandTools.run(ToolDispatch.invokedName)
