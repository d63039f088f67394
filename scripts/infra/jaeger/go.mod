module tidings/jaeger

go 1.24.6

require github.com/jaegertracing/jaeger v1.75.0

// The same replace as Jaeger's own go.mod (go install pkg@version refuses a module with replace
// directives, so the binary is built from this module instead).
replace github.com/Shopify/sarama => github.com/Shopify/sarama v1.33.0
