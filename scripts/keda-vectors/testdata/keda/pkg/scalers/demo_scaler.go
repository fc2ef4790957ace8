package scalers

import "errors"

const defaultPort = "6379"

var ErrNoHost = errors.New("no host given")

func hostPort(host, port string) string {
	return host + ":" + port
}
