{{/* Base name: the release name, or <release>-tidal when it does not contain "tidal". */}}
{{- define "tidal.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 54 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 54 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Name of the operator's Deployment, Service and ClusterRole: tidal-operator for release "tidal". */}}
{{- define "tidal.operatorName" -}}
{{- printf "%s-operator" (include "tidal.fullname" .) -}}
{{- end -}}

{{/* Name of the interceptor's Deployment, ServiceAccount and ClusterRole: tidal-interceptor for release "tidal". */}}
{{- define "tidal.interceptorName" -}}
{{- printf "%s-interceptor" (include "tidal.fullname" .) -}}
{{- end -}}

{{- define "tidal.interceptorSelectorLabels" -}}
app.kubernetes.io/name: tidal
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: interceptor
{{- end -}}

{{- define "tidal.serviceAccountName" -}}
{{- if .Values.serviceAccount.operator.create -}}
{{- default (include "tidal.operatorName" .) .Values.serviceAccount.operator.name -}}
{{- else -}}
{{- required "serviceAccount.operator.name is required when serviceAccount.operator.create is false" .Values.serviceAccount.operator.name -}}
{{- end -}}
{{- end -}}

{{- define "tidal.selectorLabels" -}}
app.kubernetes.io/name: tidal
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{/* Labels of every object but the selector's: version, chart, additionalLabels. */}}
{{- define "tidal.commonLabels" -}}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- with .Values.additionalLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "tidal.labels" -}}
{{ include "tidal.selectorLabels" . }}
{{ include "tidal.commonLabels" . }}
{{- end -}}

{{- define "tidal.interceptorLabels" -}}
{{ include "tidal.interceptorSelectorLabels" . }}
{{ include "tidal.commonLabels" . }}
{{- end -}}

{{/* A component's --log-level from logging.<component>.level: KEDA's numeric levels mean debug. */}}
{{- define "tidal.logLevel" -}}
{{- $level := toString . -}}
{{- if regexMatch "^[1-9][0-9]*$" $level -}}
debug
{{- else if has $level (list "debug" "info" "warn" "error") -}}
{{- $level -}}
{{- else -}}
{{- fail (printf "logging level must be debug, info, warn, error or a number greater than 0, not %q" $level) -}}
{{- end -}}
{{- end -}}

{{/* A component's --log-format from logging.<component>.format: KEDA's console is text. */}}
{{- define "tidal.logFormat" -}}
{{- $format := toString . -}}
{{- if eq $format "console" -}}
text
{{- else if has $format (list "json" "text") -}}
{{- $format -}}
{{- else -}}
{{- fail (printf "logging format must be json, text or console, not %q" $format) -}}
{{- end -}}
{{- end -}}

{{/* The spec of a PodDisruptionBudget from {minAvailable, maxUnavailable} (zero or empty: unset). */}}
{{- define "tidal.pdbSpec" -}}
{{- if and .minAvailable .maxUnavailable -}}
{{- fail "a PodDisruptionBudget takes minAvailable or maxUnavailable, not both" -}}
{{- end -}}
{{- if .minAvailable }}
minAvailable: {{ .minAvailable }}
{{- end }}
{{- if .maxUnavailable }}
maxUnavailable: {{ .maxUnavailable }}
{{- end }}
{{- end -}}

{{/* Secret with the metrics API's tls.crt and tls.key; empty in selfSigned mode. */}}
{{- define "tidal.certSecretName" -}}
{{- if not .Values.metricsServer.enabled -}}
{{- else if eq .Values.certificates.mode "certManager" -}}
{{- printf "%s-certs" (include "tidal.operatorName" .) -}}
{{- else if eq .Values.certificates.mode "existingSecret" -}}
{{- required "certificates.existingSecret.name is required in existingSecret mode" .Values.certificates.existingSecret.name -}}
{{- else if ne .Values.certificates.mode "selfSigned" -}}
{{- fail (printf "certificates.mode must be certManager, selfSigned or existingSecret, not %q" .Values.certificates.mode) -}}
{{- end -}}
{{- end -}}
