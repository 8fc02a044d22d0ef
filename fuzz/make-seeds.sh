#!/usr/bin/env bash
# Writes raw seed inputs for every fuzz target into OUT/<target>/ (default
# /tmp/kpki-fuzz-seeds), from real outputs: a PKI written by `kpki init` for each key
# algorithm, kubeadm 1.28's own files (../shared/fixtures), and openssl-made
# certificates, keys and CSRs. Then minimise into fuzz/corpus with:
#   for t in $(cargo fuzz list); do cargo fuzz cmin --sanitizer none $t "$OUT/$t"; done
# (cmin merges the seeds into corpus/<t>, keeping only inputs that add coverage).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
out="${1:-/tmp/kpki-fuzz-seeds}"
fixtures="${KPKI_FIXTURES:-$root/../shared/fixtures/kubeadm-1.28}"
rm -rf "$out"
mkdir -p "$out"/{certificate,private_key,public_key,ca_from_pem,kubeconfig,kubeadm_config,network,identity_sans,csr,csr_signed,kube_csr,policy_file,pkcs11_uri}
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

n=0
put() { # put TARGET FILE...: copies files as numbered seeds
    local t="$1"; shift
    for f in "$@"; do n=$((n + 1)); cp "$f" "$out/$t/seed-$n"; done
}
der() { # der PEMFILE OUTFILE: the first PEM block's contents (no parsing by openssl)
    awk '/-----BEGIN/{f=1;next} /-----END/{exit} f' "$1" | base64 -d > "$2"
}
text() { # text TARGET STRING: one seed from a string
    n=$((n + 1)); printf '%s' "$2" > "$out/$1/seed-$n"
}

# 1. PKIs written by kpki itself.
(cd "$root" && cargo build -q -p kpki-cli)
kpki="$root/target/debug/kpki"
for alg in rsa-2048 ecdsa-p256 ecdsa-p384 ed25519; do
    "$kpki" init -q --dir "$work/pki-$alg" --node-name "cp-$alg" --advertise-address 10.0.0.10 \
        --key-algorithm "$alg" --control-plane-endpoint cp.example.internal:6443 \
        --apiserver-cert-extra-sans extra.example.com,192.0.2.7,fd00::7 \
        --service-cidr 10.96.0.0/12,fd00:10:96::/112 --worker-nodes w1 --kube-proxy
done
"$kpki" init -q --dir "$work/pki-128" --node-name cp-old --advertise-address 192.168.1.5 \
    --profile kubeadm-1.28
dirs=("$work"/pki-*)
[ -d "$fixtures" ] && dirs+=("$fixtures/rsa" "$fixtures/ecdsa")
for d in "${dirs[@]}"; do
    put certificate "$d/pki/apiserver.crt" "$d/pki/ca.crt" "$d/pki/etcd/peer.crt"
    put private_key "$d/pki/apiserver.key" "$d/pki/sa.key"
    put public_key "$d/pki/sa.pub"
    n=$((n + 1)); cat "$d/pki/ca.crt" "$d/pki/ca.key" > "$out/ca_from_pem/seed-$n"
    n=$((n + 1)); cat "$d/pki/front-proxy-ca.crt" "$d/pki/front-proxy-ca.key" > "$out/ca_from_pem/seed-$n"
    put kubeconfig "$d/admin.conf" "$d/kubelet.conf"
    n=$((n + 1)); cat "$d/pki/apiserver.crt" "$d/pki/ca.crt" > "$out/certificate/seed-$n"
    der "$d/pki/apiserver.crt" "$out/certificate/seed-der-$n"
    der "$d/pki/apiserver.key" "$out/private_key/seed-der-$n"
    der "$d/pki/sa.pub" "$out/public_key/seed-der-$n"
done
[ -f "$fixtures/rsa/kubeadm-config.yaml" ] && put kubeadm_config "$fixtures"/*/kubeadm-config.yaml

# 2. openssl-made keys in every form kpki reads (and some it refuses).
cd "$work"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out rsa3072.pem 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out p384.pem
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out p256.pem
openssl genpkey -algorithm ED25519 -out ed.pem
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1 -out k1.pem
openssl genpkey -algorithm ED448 -out ed448.pem
openssl ec -in p256.pem -out p256-sec1.pem 2>/dev/null
openssl ec -in p384.pem -param_enc explicit -out p384-explicit.pem 2>/dev/null
openssl rsa -in rsa3072.pem -traditional -out rsa3072-pkcs1.pem 2>/dev/null
openssl pkcs8 -topk8 -in p256.pem -passout pass:x -out p256-enc.pem
put private_key rsa3072.pem p384.pem p256-sec1.pem ed.pem k1.pem ed448.pem p384-explicit.pem \
    rsa3072-pkcs1.pem p256-enc.pem
for k in rsa3072-pkcs1.pem p256-sec1.pem; do
    n=$((n + 1)); openssl pkey -in "$k" -outform DER -out "$out/private_key/seed-der-$n"
done
openssl rsa -in rsa3072-pkcs1.pem -outform DER -traditional -out "$out/private_key/seed-pkcs1-der" 2>/dev/null
openssl ec -in p256-sec1.pem -outform DER -out "$out/private_key/seed-sec1-der" 2>/dev/null
for k in rsa3072.pem p384.pem ed.pem k1.pem ed448.pem; do
    n=$((n + 1)); openssl pkey -in "$k" -pubout -out "$out/public_key/seed-$n"
done

# 3. openssl-made certificates with every SAN kind and extensions kpki reads.
cat > ext.cnf <<'CNF'
[req]
distinguished_name = dn
[dn]
[v3]
basicConstraints = critical, CA:TRUE, pathlen:2
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash
[leaf]
basicConstraints = CA:FALSE
keyUsage = digitalSignature, keyEncipherment, nonRepudiation, dataEncipherment, keyAgreement, encipherOnly
extendedKeyUsage = serverAuth, clientAuth, codeSigning, emailProtection, timeStamping, OCSPSigning, 1.2.3.4.5
subjectAltName = DNS:a.example, IP:192.0.2.1, IP:2001:db8::1, email:a@example.com, URI:spiffe://example/x, otherName:1.2.3.4;UTF8:x
authorityKeyIdentifier = keyid
CNF
openssl req -x509 -new -key p384.pem -subj "/C=DE/O=Ops/O=Dev/CN=Test Root CA" -days 3650 \
    -config ext.cnf -extensions v3 -out root.pem
openssl req -new -key ed.pem -subj "/CN=système:node:ü/O=system:nodes/OU=x" -utf8 -config ext.cnf -out leaf.csr
openssl x509 -req -in leaf.csr -CA root.pem -CAkey p384.pem -set_serial 0x00ff -days 30 \
    -extfile ext.cnf -extensions leaf -out leaf.pem 2>/dev/null
openssl req -x509 -new -key rsa3072.pem -subj "/CN=rsa3072" -days 1 -sha512 -out rsa.pem
openssl req -x509 -new -key ed.pem -subj "/CN=ed" -days 1 -out ed-cert.pem
put certificate root.pem leaf.pem rsa.pem ed-cert.pem
n=$((n + 1)); cat leaf.pem root.pem > "$out/certificate/seed-$n"
n=$((n + 1)); cat root.pem p384.pem > "$out/ca_from_pem/seed-$n"
n=$((n + 1)); cat rsa.pem rsa3072-pkcs1.pem > "$out/ca_from_pem/seed-$n"
n=$((n + 1)); openssl x509 -in leaf.pem -outform DER -out "$out/certificate/seed-der-$n"

# 4. CSRs (PEM and DER), for the csr target; wrapped in objects for kube_csr.
openssl req -new -key p256.pem -subj "/CN=system:node:w1/O=system:nodes" \
    -addext "subjectAltName=DNS:w1,IP:10.0.0.21" -out kubelet-serving.csr
openssl req -new -key p256.pem -subj "/CN=system:node:w1/O=system:nodes" -out kubelet-client.csr
openssl req -new -key rsa3072.pem -subj "/CN=alice/O=dev/O=ops" -out alice.csr
openssl req -new -key ed.pem -subj "/CN=bob/O=system:masters" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "extendedKeyUsage=serverAuth" -out bob.csr
put csr kubelet-serving.csr kubelet-client.csr alice.csr bob.csr leaf.csr
n=$((n + 1)); openssl req -in alice.csr -outform DER -out "$out/csr/seed-der-$n"
for f in kubelet-serving kubelet-client alice; do
    req="$(base64 -w0 < "$f.csr")"
    case $f in
        kubelet-serving) signer=kubernetes.io/kubelet-serving; usages='["digital signature","server auth"]' ;;
        kubelet-client) signer=kubernetes.io/kube-apiserver-client-kubelet; usages='["digital signature","client auth"]' ;;
        *) signer=kubernetes.io/kube-apiserver-client; usages='["digital signature","key encipherment","client auth"]' ;;
    esac
    text kube_csr "apiVersion: certificates.k8s.io/v1
kind: CertificateSigningRequest
metadata:
  name: $f
spec:
  request: $req
  signerName: $signer
  expirationSeconds: 86400
  usages: $usages
"
    text kube_csr "{\"apiVersion\":\"certificates.k8s.io/v1\",\"kind\":\"List\",\"items\":[{\"apiVersion\":\"certificates.k8s.io/v1\",\"kind\":\"CertificateSigningRequest\",\"metadata\":{\"name\":\"$f\"},\"spec\":{\"request\":\"$req\",\"signerName\":\"$signer\",\"usages\":$usages},\"status\":{\"conditions\":[{\"type\":\"Approved\",\"status\":\"True\",\"reason\":\"r\",\"message\":\"m\"}]}}]}"
done

# 4b. CertificationRequestInfo bodies made with the fixed requester key of src/lib.rs
# (csr_signed signs each body with it): every signer's typical request, and escalations.
sed -n '/^pub const REQUESTER_KEY_PEM/,/^";/p' "$here/src/lib.rs" | sed '1s/.*"-----/-----/;$d' > requester.pem
cri() { # cri NAME openssl-req-args...: the CSR's first element (the signed body)
    local name="$1"; shift
    openssl req -new -key requester.pem -outform DER -out "$name.der" "$@"
    python3 - "$name.der" "$out/csr_signed/seed-$name" <<'PY'
import sys
d = open(sys.argv[1], 'rb').read()
def tlv(b, i):  # (start of content, end) of the TLV at i
    l = b[i + 1]; j = i + 2
    if l & 0x80:
        n = l & 0x7f; l = int.from_bytes(b[j:j + n], 'big'); j += n
    return j, j + l
s, _ = tlv(d, 0)
_, e = tlv(d, s)
open(sys.argv[2], 'wb').write(d[s:e])
PY
}
cri node-client -subj "/O=system:nodes/CN=system:node:w1"
cri node-serving -subj "/O=system:nodes/CN=system:node:w1" -addext "subjectAltName=DNS:w1,IP:10.0.0.21"
cri user -subj "/O=dev/O=ops/CN=alice" -addext "keyUsage=digitalSignature" -addext "extendedKeyUsage=clientAuth"
cri ci -subj "/O=ci/O=team-a/CN=ci-runner" -addext "subjectAltName=DNS:a.ci.example.com,IP:10.1.2.3"
cri masters -subj "/O=system:masters/CN=admin" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=keyCertSign,digitalSignature" -addext "extendedKeyUsage=serverAuth,clientAuth,codeSigning"
cri odd -subj "/C=DE/OU=x/CN=ci-a/CN=ci-b" -addext "subjectAltName=email:a@b.c,URI:spiffe://x/y,DNS:*.ci.example.com"
n=$((n + 1)); openssl req -new -key requester.pem -subj "/O=system:nodes/CN=system:node:w2" \
    -addext "subjectAltName=DNS:w2" -out "$out/csr/seed-$n"

# 4c. Signer policy files.
text policy_file 'signerName: example.com/ci
commonName: "ci-*"
groups: ["ci", "team-*"]
dnsNames: ["*.ci.example.com"]
ipAddresses: ["10.0.0.0/8", "fd00::/8"]
usages: [digital signature, key encipherment, client auth, server auth]
maxValidity: 24h
privilegedGroups: ["ops:admins"]
allowPrivilegedGroups: []
'
text policy_file '{"signerName":"kubernetes.io/kube-apiserver-client","maxValidity":"720h","allowPrivilegedGroups":["system:masters"]}'
text policy_file 'signerName: kubernetes.io/kubelet-serving
maxValidity: 8760h0m0s
'
text policy_file 'signerName: example.org/admins
commonName: "*"
groups: ["system:masters", "ops:*"]
usages: [client auth, digital signature]
allowPrivilegedGroups: [system:masters]
privilegedGroups: ["ops:root"]
'

# PKCS#11 URIs as --ca-key and the doors take them (SoftHSM's module path).
text pkcs11_uri 'pkcs11:token=kpki;object=ca?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/pin'
text pkcs11_uri 'pkcs11:object=ca%20key;id=%01%02;slot-id=3?module-path=/m.so&pin-value=1234'
text pkcs11_uri 'kubernetes=pkcs11:token=t;object=o;type=private?module-path=/m.so&pin-source=env:PIN'

# 5. kubeadm configuration files, v1beta3 and v1beta4, single and dual stack.
text kubeadm_config "apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: 10.0.0.10
  bindPort: 6443
nodeRegistration:
  name: node01
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
controlPlaneEndpoint: cp.example.internal:6443
clusterName: prod
networking:
  serviceSubnet: 10.96.0.0/12,fd00:10:96::/112
  dnsDomain: cluster.local
apiServer:
  certSANs: [extra.example.com, 192.0.2.7, '*.wild.example']
etcd:
  local:
    serverCertSANs: [etcd.example]
    peerCertSANs: [10.0.0.11]
encryptionAlgorithm: ECDSA-P256
certificateValidityPeriod: 8760h0m0s
caCertificateValidityPeriod: 87600h0m0s
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: systemd
"
text kubeadm_config "apiVersion: kubeadm.k8s.io/v1beta3
kind: InitConfiguration
localAPIEndpoint: {advertiseAddress: 'fd00::10'}
nodeRegistration: {name: v6-node}
---
apiVersion: kubeadm.k8s.io/v1beta3
kind: ClusterConfiguration
controlPlaneEndpoint: '[fd00::1]:443'
networking: {serviceSubnet: 'fd00:10:96::/108'}
"

# 6. Network strings (first byte picks the parser) and identities.
i=0
for s in "cp.example.internal:6443" "10.96.0.0/12" "*.example.com" "node-01.example" \
    "a.example,192.0.2.1,fd00::1" "8760h0m0s" "ECDSA-P256" "kubeadm-1.28"; do
    printf "\\x$(printf %02x $i)%s" "$s" > "$out/network/seed-$i"
    i=$((i + 1))
done
printf '\x00[fd00::1]:443' > "$out/network/seed-v6ep"
printf '\x01fd00:10:96::/112' > "$out/network/seed-v6cidr"
printf '\x051h30m0.5s' > "$out/network/seed-dur"
printf '\x07etcd-ca' > "$out/network/seed-role"
text identity_sans $'system:node:w1\nsystem:nodes\nw1,10.0.0.21'
text identity_sans $'alice\ndev,ops,dev\n'
text identity_sans $'Ünïcødé 名前\ngroup with spaces\n*.example.com,fd00::1'

for t in "$out"/*; do echo "$(basename "$t"): $(ls "$t" | wc -l) seeds"; done
