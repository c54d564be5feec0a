//go:build linux

package main

import (
	"context"
	"fmt"

	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/bench/internal/measure"
)

// ==== ipdb/netlink contenders ====

// oursRouteDump streams the routes through Conn.RouteDump and keeps none:
// the way ipdb's sync engine reads them.
func oursRouteDump(ctx context.Context, env *routeEnv) (measure.Sample, error) {
	c, err := netlink.Dial(&netlink.Config{NetNS: env.ns.Name})
	if err != nil {
		return measure.Sample{}, err
	}
	defer c.Close()
	return measure.Measure(func() (int, any, error) {
		n := 0
		err := c.RouteDump(ctx, &netlink.RouteFilter{Family: unix.AF_INET}, func(r *netlink.Route) error {
			n++
			return nil
		})
		if err != nil {
			return 0, nil, fmt.Errorf("RouteDump: %w", err)
		}
		return n, nil, nil
	})
}

// oursRoutes collects the routes with Conn.Routes, for a live-heap figure
// comparable with the peers, which return slices.
func oursRoutes(ctx context.Context, env *routeEnv) (measure.Sample, error) {
	c, err := netlink.Dial(&netlink.Config{NetNS: env.ns.Name})
	if err != nil {
		return measure.Sample{}, err
	}
	defer c.Close()
	return measure.Measure(func() (int, any, error) {
		routes, err := c.Routes(ctx, &netlink.RouteFilter{Family: unix.AF_INET})
		if err != nil {
			return 0, nil, fmt.Errorf("netlink routes: %w", err)
		}
		return len(routes), routes, nil
	})
}
