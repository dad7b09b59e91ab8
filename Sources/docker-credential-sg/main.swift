// docker-credential-sg: the docker credential helper; its logic is SGPlugins.DockerCredentialTool.
import SGPlugins

DockerCredentialTool.main()
