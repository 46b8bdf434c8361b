# Two store paths for the server's integration tests (NixCacheIT): `b` refers to `a`, so uploading `b` alone
# exercises the closure invariant. Built offline, without a sandbox, by the test itself:
#   nix-build closure.nix --argstr nonce <random> --no-out-link
# The nonce makes fresh store paths on every run, so no earlier run's paths or caches interfere.
{ nonce, system ? builtins.currentSystem }:
let
  a = derivation {
    name = "ferry-it-a";
    inherit system;
    builder = "/bin/sh";
    args = [ "-c" "echo 'a ${nonce}' > $out" ];
  };
in
derivation {
  name = "ferry-it-b";
  inherit system;
  builder = "/bin/sh";
  args = [ "-c" "/bin/mkdir $out && echo ${a} > $out/ref && echo 'b ${nonce}' > $out/b" ];
}
