#!/usr/bin/env bash
# Record what ansible-core's template module writes for each real role's template here, for
# node1 of inventory.yml (crates/lang/tests/templates.rs compares rb's output byte for byte;
# no Python there). Facts the templates read are set first with set_fact (the inventory gives
# rb the same values). Needs ansible-core 2.19 (a throwaway venv is fine):
#   python3 -m venv /tmp/ans && /tmp/ans/bin/pip install 'ansible-core>=2.19,<2.20'
#   ANSIBLE_BIN=/tmp/ans/bin tests/templates/corpus/record.sh
set -euo pipefail
bin=${ANSIBLE_BIN:-}
here=$(cd "$(dirname "$0")" && pwd)
export ANSIBLE_LOCALHOST_WARNING=False ANSIBLE_HOME=$(mktemp -d)
py=$(command -v "$bin${bin:+/}python" || command -v python3)
mkdir -p "$here/expected"
play=$(mktemp --suffix=.yml)
trap 'rm -f "$play"' EXIT
cat >"$play" <<PLAY
- hosts: node1,node2
  gather_facts: false
  connection: local
  tasks:
    - set_fact:
        os_family: Debian
        hostname: "{{ inventory_hostname }}"
        eth0: {ipv4: {address: "{{ ansible_host }}"}}
        cacheable: true
- hosts: node1
  gather_facts: false
  connection: local
  tasks:
    - template:
        src: "{{ tpl }}"
        dest: "$here/expected/{{ tpl | basename | regex_replace('\\\\.j2\$', '') }}.out"
      loop: "{{ query('fileglob', '$here/*.j2') | sort }}"
      loop_control: {loop_var: tpl}
PLAY
"$bin${bin:+/}ansible-playbook" -i "$here/inventory.yml" "$play" \
    -e ansible_python_interpreter="$py" | grep -E "failed|fatal|msg" || true
