// sg-kube-credential: kubectl's exec credential plugin; its logic is SGPlugins.KubeCredentialTool.
import SGPlugins

KubeCredentialTool.main()
