// GELU, exact (erf) form: out = x/2 · (1 + erf(x/√2)). WGSL has no erf: Abramowitz & Stegun
// 7.1.26 (|error| ≤ 1.5e-7), the same accuracy class as f32 itself near the result.
// Bindings: 1 step · 2 x[T, F] · 3 out.  Dispatch: (ceil(F/4 / 64), T).  CPU reference: cpu::gelu.
#include "common/step.wgsl"
@group(0) @binding(2) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> out: array<vec4<f32>>;

const F4: u32 = F / 4u;

fn erf4(z: vec4<f32>) -> vec4<f32> {
    let a = abs(z);
    let t = 1.0 / (1.0 + 0.3275911 * a);
    let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
    return sign(z) * (1.0 - poly * exp(-a * a));
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    let t = gid.y;
    if i >= F4 || t >= step.n_tokens {
        return;
    }
    let v = x[t * F4 + i];
    out[t * F4 + i] = 0.5 * v * (1.0 + erf4(v * 0.70710678118654752));
}
