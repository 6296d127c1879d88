from fastloss import _core
