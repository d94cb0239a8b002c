"""``codecprobe resynth``: the resynthesis track (Codec-SUPERB's speaker track, VERSA's speaker similarity).

Audio goes through a codec with a decoder at each bitrate; a trained speaker verifier then
says how much of the speaker survived: the similarity of each utterance's embedding before and
after, and the EER of the same trials on resynthesised audio. See docs/verify.md, "Resynthesis".
"""
