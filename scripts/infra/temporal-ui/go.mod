module tidings/temporal-ui

go 1.26.11

require github.com/temporalio/ui-server/v2 v2.56.1

// v4.16.1, which ui-server v2.56.1 asks for, is not served by the Go module proxy.
replace github.com/labstack/echo/v4 => github.com/labstack/echo/v4 v4.16.0
