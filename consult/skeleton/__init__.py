"""consult.skeleton"""
