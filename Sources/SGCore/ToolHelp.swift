/// The paragraph every tool's `--help` ends with: where the config is read from, the
/// environment variables every tool honours, and where the full documentation is, so that a
/// newcomer with only the binary in hand can find the rest.
public enum ToolHelp {
    public static let footer = """

    CONFIG: /etc/sg/config.yaml, then the user's file: $SG_CONFIG, else \
    $XDG_CONFIG_HOME/sg/config.yaml, else ~/.config/sg/config.yaml.
    ENVIRONMENT: SG_CONFIG (config file), SG_PROFILE (default profile), SG_LOG=debug|info|warn|error \
    (what was read and why nothing matched, on stderr; never a secret), SG_KEYRING=file|secret-service, \
    SSH_AUTH_SOCK (ssh-agent), HTTPS_PROXY/NO_PROXY.
    DOCS: man sg (overview, environment, exit codes), man sg-config (the config file), man TOOL; \
    from the sources, README.md and docs/config.md. Run sg-doctor to check a setup.
    """

}
