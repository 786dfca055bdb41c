# Sourced by scripts/mailstack.sh and scripts/run.sh, not run.
#
# render FILE: prints the template FILE with every ${NAME} replaced by that shell variable's
# value. Only the braced form is replaced, so a config's own $name references (Postfix's
# $mydomain) pass through; a placeholder whose variable is unset is an error (message on
# stderr, status 1), not a silently broken config.
render() {
  local file=$1 text name
  [ -r "$file" ] || { echo "render: missing template $file" >&2; return 1; }
  text=$(<"$file")
  for name in $(grep -o '\${[A-Za-z_][A-Za-z0-9_]*}' "$file" | tr -d '${}' | sort -u); do
    [ -n "${!name+set}" ] || { echo "render: $file: \${$name} has no value" >&2; return 1; }
    # Quoted replacement: no pattern characters (& in bash 5.2) are special in the value.
    text=${text//"\${$name}"/"${!name}"}
  done
  printf '%s\n' "$text"
}
