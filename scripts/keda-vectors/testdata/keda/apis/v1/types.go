package v1

type PodIdentityProvider string

const PodIdentityProviderAzureWorkload PodIdentityProvider = "azure-workload"

type AuthPodIdentity struct {
	Provider PodIdentityProvider
	ID       string
}
