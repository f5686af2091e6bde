{{/* Chart name, 63 characters at most (a DNS label). */}}
{{- define "gpt1.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* "<release>-<chart>" unless the release name already holds the chart name. */}}
{{- define "gpt1.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "gpt1.selectorLabels" -}}
app.kubernetes.io/name: {{ include "gpt1.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "gpt1.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "gpt1.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: gpt1-cluster
{{- end }}

{{/* The pods of every silo group: the PDB, NetworkPolicy and anti-affinity select these. */}}
{{- define "gpt1.siloSelectorLabels" -}}
{{ include "gpt1.selectorLabels" . }}
app.kubernetes.io/component: silo
{{- end }}

{{- define "gpt1.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{- define "gpt1.dataPlanePorts" -}}
{{ .Values.cluster.dataPlane.firstPort }}-{{ .Values.cluster.dataPlane.lastPort }}
{{- end }}

{{/* What values.schema.json cannot say; fails the render with the value to change. */}}
{{- define "gpt1.validate" -}}
{{- if lt (int .Values.cluster.dataPlane.lastPort) (int .Values.cluster.dataPlane.firstPort) }}
{{- fail (printf "cluster.dataPlane: lastPort %v is below firstPort %v" .Values.cluster.dataPlane.lastPort .Values.cluster.dataPlane.firstPort) }}
{{- end }}
{{- $first := int .Values.cluster.dataPlane.firstPort }}
{{- $last := int .Values.cluster.dataPlane.lastPort }}
{{- range $name, $port := dict "siloPort" .Values.cluster.siloPort "gatewayPort" .Values.cluster.gatewayPort "metrics.port" .Values.metrics.port }}
{{- if and (ge (int $port) $first) (le (int $port) $last) }}
{{- fail (printf "cluster.dataPlane: the range %d-%d contains %s %v; the silo refuses it" $first $last $name $port) }}
{{- end }}
{{- end }}
{{- $enabled := 0 }}
{{- range $group, $g := .Values.workerGroups }}
{{- if $g.enabled }}
{{- $enabled = add1 $enabled }}
{{- $workers := ternary (int $g.gpusPerPod) (int (default 1 $g.cpuWorkers)) (gt (int $g.gpusPerPod) 0) }}
{{- if lt (add1 (sub $last $first)) $workers }}
{{- fail (printf "cluster.dataPlane: %d-%d has fewer ports than group %s's %d workers (the silo takes one per worker)" $first $last $group $workers) }}
{{- end }}
{{- end }}
{{- end }}
{{- if eq $enabled 0 }}
{{- fail "workerGroups: no group is enabled; enable one (e.g. workerGroups.gpu.enabled=true)" }}
{{- end }}
{{- end }}

{{/* The shared volume's claim: created by the chart or brought by the user. */}}
{{- define "gpt1.claimName" -}}
{{- if .Values.storage.existingClaim }}{{ .Values.storage.existingClaim }}
{{- else if .Values.storage.create }}{{ include "gpt1.fullname" . }}-data
{{- else }}{{ fail "storage: set storage.create or storage.existingClaim (the silos need a shared volume for data and checkpoints)" }}
{{- end }}
{{- end }}

{{/* Redis host:port, in-chart or external. */}}
{{- define "gpt1.redisAddress" -}}
{{- if .Values.redis.enabled }}{{ include "gpt1.fullname" . }}-redis:6379
{{- else }}{{ required "redis.external.host is required when redis.enabled is false" .Values.redis.external.host }}:{{ .Values.redis.external.port }}
{{- end }}
{{- end }}

{{/*
The Redis env of a silo: REDIS_PASSWORD from the Secret first, so that GPT1_REDIS (read whole by the
silo as a StackExchange.Redis connection string) can name it with Kubernetes' $(VAR) expansion.
*/}}
{{- define "gpt1.redisEnv" -}}
{{- if .Values.redis.auth.existingSecret }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .Values.redis.auth.existingSecret }}
      key: {{ .Values.redis.auth.existingSecretPasswordKey }}
- name: GPT1_REDIS
  value: "{{ include "gpt1.redisAddress" . }},password=$(REDIS_PASSWORD)"
{{- else }}
- name: GPT1_REDIS
  value: {{ include "gpt1.redisAddress" . | quote }}
{{- end }}
{{- end }}

{{/* The workers of a group's silo: cuda*N for N GPUs, else cpu*N. */}}
{{- define "gpt1.devices" -}}
{{- if gt (int .gpusPerPod) 0 }}cuda*{{ int .gpusPerPod }}{{ else }}cpu*{{ int (default 1 .cpuWorkers) }}{{ end }}
{{- end }}

{{/* The gateway Service inside the cluster, host:port as `gpt1 --cluster` takes it. */}}
{{- define "gpt1.gatewayAddress" -}}
{{ include "gpt1.fullname" . }}-gateway:{{ .Values.cluster.gatewayPort }}
{{- end }}

{{/* The Secret with tls.crt, tls.key and ca.crt: the user's (cert-manager's) or the chart-generated one. */}}
{{- define "gpt1.tlsSecretName" -}}
{{- .Values.tls.existingSecret | default (printf "%s-tls" (include "gpt1.fullname" .)) }}
{{- end }}

{{/* GPT1_TLS_* for a container that mounts the "tls" volume at tls.mountPath (silos and in-cluster clients). */}}
{{- define "gpt1.tlsEnv" -}}
{{- if .Values.tls.enabled -}}
- name: GPT1_TLS_CERT
  value: {{ printf "%s/tls.crt" .Values.tls.mountPath | quote }}
- name: GPT1_TLS_KEY
  value: {{ printf "%s/tls.key" .Values.tls.mountPath | quote }}
- name: GPT1_TLS_CA
  value: {{ printf "%s/ca.crt" .Values.tls.mountPath | quote }}
{{- end }}
{{- end }}

{{- define "gpt1.tlsVolumeMount" -}}
{{- if .Values.tls.enabled -}}
- name: tls
  mountPath: {{ .Values.tls.mountPath }}
  readOnly: true
{{- end }}
{{- end }}

{{- define "gpt1.tlsVolume" -}}
{{- if .Values.tls.enabled -}}
- name: tls
  secret:
    secretName: {{ include "gpt1.tlsSecretName" . }}
{{- end }}
{{- end }}
