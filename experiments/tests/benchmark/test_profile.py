"""Profile parsing: optimized-HLO instructions in categories, profiler events matched to them."""

from tensorflow.tsl.profiler.protobuf import xplane_pb2

from experiments.benchmark.profile import _hlo_category, _hlo_instructions, _thunk_durations

HLO = """HloModule step

%fused_dot (p0: f32[100,784], p1: f32[784,512]) -> f32[100,512] {
  %p0 = f32[100,784]{1,0} parameter(0)
  %p1 = f32[784,512]{1,0} parameter(1)
  ROOT %dot.1 = f32[100,512]{1,0} dot(f32[100,784]{1,0} %p0, f32[784,512]{1,0} %p1)
}

%fused_gather (p0: u8[50000,784], p1: s32[100]) -> f32[100,784] {
  %p0 = u8[50000,784]{1,0} parameter(0)
  ROOT %gather.2 = u8[100,784]{1,0} gather(u8[50000,784]{1,0} %p0, s32[100]{0} %p1)
}

ENTRY %main (a: f32[100,784], b: f32[784,512]) -> f32[100,512] {
  %fusion.3 = f32[100,512]{1,0} fusion(%a, %b), kind=kOutput, calls=%fused_dot
  %fusion.4 = u8[100,784]{1,0} fusion(%images, %indices), kind=kLoop, calls=%fused_gather
  %add.5 = f32[512]{0} add(%m, %g), metadata={op_type="AddV2" op_name="while/adam/Add"}
  %add.6 = f32[512]{0} add(%m, %g), metadata={op_type="AddV2" op_name="while/adam_1/Add"}
  %rng.7 = u32[4]{0} rng-bit-generator(%state), metadata={op_name="stateless_random_normal"}
  %copy.8 = f32[784,512]{1,0} copy(%w)
  ROOT %multiply.9 = f32[100,512]{1,0} multiply(%fusion.3, %fusion.3)
}
"""


def test_hlo_instructions_reads_definitions_and_computation_bodies():
    definitions, bodies = _hlo_instructions(HLO)
    assert set(bodies) == {"fused_dot", "fused_gather", "main"}
    assert "dot(" in bodies["fused_dot"] and "dot(" not in bodies["main"]
    assert definitions["fusion.3"].endswith("calls=%fused_dot")
    assert definitions["multiply.9"].startswith("f32[100,512]{1,0} multiply(")


def test_each_instruction_lands_in_its_category():
    definitions, bodies = _hlo_instructions(HLO)
    category = {name: _hlo_category(definitions[name], bodies) for name in
                ("dot.1", "fusion.3", "fusion.4", "add.5", "add.6", "rng.7", "copy.8",
                 "multiply.9")}
    assert category == {"dot.1": "matmul", "fusion.3": "matmul", "fusion.4": "batch gather",
                        "add.5": "Adam update",
                        "add.6": "other element-wise / reductions",  # another optimizer
                        "rng.7": "sampling (Philox RNG)", "copy.8": "weight copies",
                        "multiply.9": "other element-wise / reductions"}
    # The second Adam of a process is scoped adam_1.
    assert _hlo_category(definitions["add.6"], bodies, optimizer_scope="adam_1") == "Adam update"


def test_profiler_events_are_matched_to_instructions_and_the_rest_kept_apart():
    definitions, _ = _hlo_instructions(HLO)
    space = xplane_pb2.XSpace()
    plane = space.planes.add()
    for i, name in enumerate(("fusion.3", "while.1", "fusion.77", "ExecutorState::Process"), 1):
        plane.event_metadata[i].name = name
    line = plane.lines.add()
    for metadata_id, ps in ((1, 2_000_000), (1, 4_000_000), (2, 9e9), (3, 1_000_000), (4, 5e6)):
        event = line.events.add()
        event.metadata_id, event.duration_ps = metadata_id, int(ps)
    durations = _thunk_durations(space, {**definitions, "while.1": "while(...)"})
    # ms per event; the loop itself and host events are not thunks; fusion.77 is unmatched.
    assert durations == {"fusion.3": [0.002, 0.004], ("?", "fusion.77"): [0.001]}
