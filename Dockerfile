# syntax=docker/dockerfile:1
#
# The nstrace container image, built from source:
#
#   docker build -t nstrace .
#   docker run --rm nstrace --lab demo www.example.com
#
# The binary is static (CGO_ENABLED=0: Go's own resolver and no libc, which
# the distroless "static" base does not have) and built with -trimpath, as
# the release builds it; the release's image (.goreleaser.yaml, dockers_v2)
# is Dockerfile.release, the same final stage with the binaries the release
# built. It runs as distroless's nonroot user, 65532, and writes nothing, so
# a read-only root filesystem suits it (deploy/k8s). deploy/deploy_test.go
# builds the binary as the RUN line below does and checks that it is static.

FROM golang:1.26 AS build
WORKDIR /src
# The modules first, so that a change of source does not fetch them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# --build-arg VERSION=v1.2.3 sets what --version says; without it, "(devel)".
ARG VERSION=
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/nstrace ./cmd/nstrace

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/nstrace /nstrace
USER nonroot:nonroot
ENTRYPOINT ["/nstrace"]
