{{ range $i, $c := .spec.containers }}{{ if eq $c.name "c" }}{{ $c.image | Quote }}{{ else }}{{ printf "%d" $i }}{{ end }}{{ end }}
x: {{ YAML .metadata.labels 1 }}
