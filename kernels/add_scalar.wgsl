// add_scalar: x[0] += value (the normalizer's sample count, after moments_update has read it).
struct Params { x_off: u32, value: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;

@compute @workgroup_size(1)
fn main() {
  x[p.x_off] = x[p.x_off] + p.value;
}
