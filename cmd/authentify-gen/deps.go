package main

import (
	_ "github.com/dave/jennifer/jen"
	_ "github.com/goccy/go-yaml"
	_ "github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/labstack/echo/v4"
	_ "github.com/sqlc-dev/sqlc/pkg/cli"
	_ "golang.org/x/tools/txtar"
)

func main() {}
