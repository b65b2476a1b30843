package main

import (
	"errors"
	"strconv"
	"strings"
)

// errPort is the error of a port out of range, without the parser's words.
var errPort = errors.New("port must be 1–65535")

// parsePort reads a port number, 1 to 65535.
func parsePort(s string) (uint16, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 {
		return 0, errPort
	}
	return uint16(n), nil
}

// portValue is the -p flag: 1 to 65535. Zero is refused, though the
// resolver reads it as the default: "-p 0" is a mistake, not a wish for 53.
type portValue uint16

func (p *portValue) String() string { return strconv.Itoa(int(*p)) }

func (p *portValue) Set(s string) error {
	n, err := parsePort(s)
	*p = portValue(n)
	return err
}

func (p *portValue) Type() string { return "uint16" }

// pathValue is a flag that names a file or directory: an empty one is
// refused, where a string flag would take "--lab \"\"" as no lab at all
// and trace the real internet.
type pathValue string

func (p *pathValue) String() string { return string(*p) }

func (p *pathValue) Set(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("want a path, not an empty string")
	}
	*p = pathValue(s)
	return nil
}

func (p *pathValue) Type() string { return "string" }
