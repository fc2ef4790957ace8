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
{{- if .Values.serviceAccount.create -}}
{{- default (include "tidal.operatorName" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "tidal.selectorLabels" -}}
app.kubernetes.io/name: tidal
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{- define "tidal.labels" -}}
{{ include "tidal.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
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
