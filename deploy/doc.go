// Package deploy holds no code. Its tests check what deploys nstrace: the
// container image's Dockerfile and Dockerfile.release (at the top of the
// repository), their place in .goreleaser.yaml, and the Kubernetes
// manifests of deploy/k8s, against each other and against the command's
// flags, and prove that the binary is built static, as the image needs.
package deploy
